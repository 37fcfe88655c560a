"""Argparse helpers every command module shares: the subparsers type, version numbers, --tenant and --format, and
parsing a command line without exiting."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from contextlib import redirect_stderr, redirect_stdout
from typing import TYPE_CHECKING, TextIO, TypeAlias

if TYPE_CHECKING:
    SubParsers: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]
else:  # not subscriptable at run time
    SubParsers = argparse._SubParsersAction


def non_negative(text: str) -> int:
    """An argparse `type` for item versions."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a version number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("a version is 0 or more")
    return value


def add_tenant(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    parser.add_argument(
        "--tenant",
        required=required,
        help="tenant id; a tenant admin's credentials only reach this tenant's items",
    )


def add_format(parser: argparse.ArgumentParser, choices: tuple[str, ...] = ("yaml", "json")) -> None:
    parser.add_argument("--format", choices=choices, default=choices[0], help=f"output format (default {choices[0]})")


def parse_quietly(
    parser: argparse.ArgumentParser, argv: Sequence[str], *, out: TextIO, err: TextIO
) -> argparse.Namespace | int:
    """The parsed options, or the exit code argparse chose (2 for a usage error, 0 after --help), its words
    written to `out` and `err` rather than the process's streams."""
    with redirect_stdout(out), redirect_stderr(err):
        try:
            return parser.parse_args(list(argv))
        except SystemExit as exc:
            return int(exc.code or 0)
