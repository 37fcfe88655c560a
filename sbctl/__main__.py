from sbctl.cli import main

raise SystemExit(main())
