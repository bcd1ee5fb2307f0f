"""The Runs tab, one idea per module: `table_model` (rows, sorting, filter, thumbnails),
`details` (the selected run), `dialogs`, `actions` (what can be done with runs) and `browser`
(the tab itself and `install_runs_tab`)."""

from workbench.gui.runs.browser import RunBrowser, install_runs_tab
from workbench.gui.runs.table_model import COLUMNS, RUN_ID_ROLE

__all__ = ["COLUMNS", "RUN_ID_ROLE", "RunBrowser", "install_runs_tab"]
