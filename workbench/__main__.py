"""`python -m workbench` is the same as the `gan-workbench` command."""

from workbench.cli import main

raise SystemExit(main())
