"""What every tenant-mode command gets: the parsed options, the output streams, and the API client."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any, TextIO

from sbctl.errors import UsageError
from sbctl.render import dump
from sbctl.settings import SbctlSettings
from sbctl.tenant_mode import messages, oauth, session
from sbctl.tenant_mode.http import ApiClient, Transport

RENEW_MARGIN = timedelta(seconds=30)  # an ID token this close to its expiry is renewed before it is sent


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class TenantContext:
    args: argparse.Namespace
    settings: SbctlSettings
    out: TextIO
    err: TextIO
    transport: Transport
    clock: Callable[[], datetime] = utc_now
    open_browser: Callable[[str], bool] = field(default_factory=oauth.browser_opener)

    @cached_property
    def credentials(self) -> session.Credentials:
        return session.credentials(self.settings)

    @property
    def claims(self) -> session.TokenClaims | None:
        token = self.credentials.token
        return session.claims_of(token) if token else None

    @cached_property
    def api(self) -> ApiClient:
        found = self.credentials
        if not found.complete or found.url is None:
            raise UsageError(messages.not_logged_in(table_configured=bool(self.settings.SWITCHBOARD_TABLE)))
        url, token, login = found.api_url(), found.token, found.login
        if login is None or login.refresh_token is None or login.sign_in is None:
            return ApiClient(url, token, self.transport)
        claims = session.claims_of(login.token)
        if claims is not None and claims.expired(self.clock() + RENEW_MARGIN):
            token = self.renew_login(login)
        return ApiClient(url, token, self.transport, renew=lambda: self.renew_login(login))

    def renew_login(self, login: session.Login) -> str:
        """A fresh ID token for the saved browser sign-in, saved in its place; a refused refresh token means
        signing in again."""
        assert login.refresh_token is not None and login.sign_in is not None
        try:
            tokens = oauth.refresh(self.transport, login.sign_in, login.refresh_token)
        except oauth.SignInFailed as failed:
            raise UsageError(
                f"your sign-in has ended and could not be renewed ({failed}): run `sbctl login --url {login.url}` again"
            ) from None
        path = session.login_path(self.settings)
        session.save_login(path, session.Login(login.url, tokens.id_token, tokens.refresh_token, login.sign_in))
        self.__dict__.pop("credentials", None)  # what whoami and messages read: the renewed token
        return tokens.id_token

    def say(self, text: str = "") -> None:
        print(text, file=self.out)

    def warn(self, text: str) -> None:
        print(text, file=self.err)

    def warn_lines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.warn(line)

    def show(self, data: Any) -> None:
        """A document in the command's --format (yaml by default)."""
        self.say(dump(data, getattr(self.args, "format", None) or "yaml"))

    def warnings(self, answer_data: Any) -> None:
        """The API's warnings (unknown template variables, ...) on the error stream."""
        if isinstance(answer_data, dict):
            for warning in answer_data.get("warnings") or []:
                self.warn(f"warning: {warning}")
