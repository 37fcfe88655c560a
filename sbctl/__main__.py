"""`python -m sbctl`: the tenant admin CLI (see cli.py)."""

from sbctl.cli import main

raise SystemExit(main())
