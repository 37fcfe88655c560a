"""`python -m local`: the local run (see server.py)."""

from local.server import main

main()
