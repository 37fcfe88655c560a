"""What every tenant-mode command gets: the parsed options, the output streams, and the API client."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TextIO

from sbctl.errors import UsageError
from sbctl.render import dump
from sbctl.settings import SbctlSettings
from sbctl.tenant_mode import messages, session
from sbctl.tenant_mode.http import ApiClient, Transport


@dataclass
class TenantContext:
    args: argparse.Namespace
    settings: SbctlSettings
    out: TextIO
    err: TextIO
    transport: Transport

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
        return ApiClient(found.api_url(), found.token, self.transport)

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
