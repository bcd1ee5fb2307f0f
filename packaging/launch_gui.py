"""Entry script of the standalone app: with no arguments it opens the desktop app, with a
subcommand it is the same CLI as `gan-workbench` (PyInstaller needs a script, not an entry point)."""

import sys

from workbench.cli import main

if __name__ == "__main__":
    sys.exit(main())
