"""`python -m local`: the local run (see run.py)."""

from local.run import main

main()
