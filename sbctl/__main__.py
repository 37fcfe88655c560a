"""`python -m sbctl`: the same as the `sbctl` console script (see cli.py).

Run with a Python that lacks sbctl's dependencies (the system one, say), it says in one line how to get
them instead of showing a traceback.
"""

import sys

_OWN = ("sbctl", "functions")  # an ImportError from here is a bug, and shows as one

try:
    from sbctl.cli import main
except ImportError as exc:
    missing = exc.name or ""
    if missing.split(".")[0] in _OWN:
        raise
    print(
        f"sbctl: this Python ({sys.executable}) lacks sbctl's dependencies (no module {missing!r}): "
        "run `make install` in the repository, then use .venv/bin/sbctl",
        file=sys.stderr,
    )
    raise SystemExit(2) from None

raise SystemExit(main())
