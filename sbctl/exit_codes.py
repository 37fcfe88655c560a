"""sbctl's exit codes, defined once for the dispatcher (sbctl.cli) and every command."""

from __future__ import annotations

EXIT_OK = 0
# Invalid input, invalid stored items, a version conflict or an AWS error.
EXIT_FAILED = 1
# The command line is incomplete or contradictory (argparse exits 2 too).
EXIT_USAGE = 2
