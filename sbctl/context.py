"""What every command gets: the parsed options, the output streams and lazily built AWS clients."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TextIO

from functions.common.aws import client_config
from functions.tenant_config.store import ConfigStore
from sbctl.errors import UsageError
from sbctl.settings import SbctlSettings


@dataclass
class Context:
    args: argparse.Namespace
    settings: SbctlSettings
    out: TextIO
    err: TextIO
    _clients: dict[str, Any] = field(default_factory=dict)

    @property
    def table(self) -> str:
        name: str | None = self.args.table or self.settings.SWITCHBOARD_TABLE
        if not name:
            raise UsageError("no table given: pass --table or set SWITCHBOARD_TABLE (`make run` prints it)")
        return name

    @property
    def actor(self) -> str:
        settings = self.settings
        return str(self.args.actor or settings.SBCTL_ACTOR or settings.USER or settings.USERNAME or "sbctl")

    def client(self, service: str = "dynamodb") -> Any:
        if service not in self._clients:
            import boto3

            session = boto3.session.Session(
                profile_name=self.args.profile or self.settings.AWS_PROFILE,
                region_name=self.args.region or self.settings.AWS_REGION or self.settings.AWS_DEFAULT_REGION,
            )
            # An admin tool can wait longer and retry more than the webhook's 2-second path.
            config = client_config(connect_timeout_s=3, read_timeout_s=20, max_attempts=6)
            endpoint = self.args.endpoint_url or self.settings.AWS_ENDPOINT_URL
            self._clients[service] = session.client(service, endpoint_url=endpoint, config=config)  # type: ignore[call-overload]
        return self._clients[service]

    @cached_property
    def store(self) -> ConfigStore:
        return ConfigStore(self.client(), self.table, actor=self.actor, writer="operator")

    def say(self, text: str = "") -> None:
        print(text, file=self.out)

    def warn(self, text: str) -> None:
        print(text, file=self.err)

    def warn_problems(self, where: str, problems: Iterable[str]) -> None:
        """`where:` then one indented `- problem` line each, on the error stream."""
        self.warn(f"{where}:")
        for problem in problems:
            self.warn(f"  - {problem}")
