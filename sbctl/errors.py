"""Errors sbctl reports itself (the store's errors are in functions.common.errors)."""

from __future__ import annotations


class UsageError(Exception):
    """The command line is incomplete or contradictory (exit code 2)."""


class FileProblem(Exception):
    """An input file cannot be read as items (exit code 1); names the file and line."""
