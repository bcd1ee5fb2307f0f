"""`gan-workbench` with no subcommand: the QApplication and the main window.

The window is shown before torch is imported (torch loads in a background thread right
after the first show), so it opens in well under the 2 s budget.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from importlib.resources import files

STARTUP: dict = {}  # seconds from main() to first show, for the startup benchmark
ICON = "gan-workbench.png"  # in workbench/gui/icons/, package data (wheels and bundles carry it)
QUIT_WHEN_SHOWN = "WORKBENCH_QUIT_WHEN_SHOWN"  # set to 1: quit right after the first show (bundle check)


def install_extra_tabs(window) -> None:
    """The Runs tab (run browser) and the Sweeps tab next to the training tab."""
    from workbench.gui.runs import install_runs_tab
    from workbench.gui.sweeps.view import install_sweeps_tab

    browser = install_runs_tab(window, window.training_view)
    install_sweeps_tab(window, window.training_view, browser)


def app_icon():
    """The window icon, read from the package's data, so a wheel or a bundle shows it too."""
    from PySide6.QtGui import QIcon, QPixmap

    try:
        data = (files("workbench.gui") / "icons" / ICON).read_bytes()
    except OSError:  # a broken install: run without an icon (the wheel and bundle checks catch it)
        return QIcon()
    pixmap = QPixmap()
    pixmap.loadFromData(data, "PNG")
    return QIcon(pixmap)


def main(argv: list[str] | None = None, *, on_shown: Callable | None = None) -> int:
    """Run the GUI; returns the application's exit code. `on_shown(window)` runs once the
    window is on screen (benchmarks and smoke tests use it to measure and quit)."""
    t0 = time.perf_counter()
    from workbench.gui.display_check import EXIT_DISPLAY, display_problem

    problem = display_problem()
    if problem:  # before Qt loads: Qt would abort the process with a core dump instead
        print(problem, file=sys.stderr)
        return EXIT_DISPLAY
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from workbench.gui.main_window import MainWindow, finish_torch_import
    from workbench.gui.ui_settings import APPLICATION, ORGANIZATION

    argv = list(sys.argv[:1] if argv is None else ["gan-workbench", *argv])
    app = QApplication.instance() or QApplication(argv)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("GAN Workbench")
    app.setWindowIcon(app_icon())
    window = MainWindow()
    install_extra_tabs(window)
    window.show()

    def after_show() -> None:
        STARTUP["main_to_shown"] = time.perf_counter() - t0
        STARTUP["torch_loaded_at_show"] = "torch" in sys.modules
        window.start_background_loading()
        if on_shown is not None:
            on_shown(window)
        if os.environ.get(QUIT_WHEN_SHOWN) == "1":
            icon = "missing" if app.windowIcon().isNull() else "present"
            print(f"window shown {STARTUP['main_to_shown']:.2f} s after main started, at {time.time():.3f} "
                  f"(epoch); window icon {icon}", flush=True)
            app.quit()

    QTimer.singleShot(0, after_show)
    code = app.exec()
    finish_torch_import()  # a daemon thread killed mid-import can crash the interpreter's exit
    return code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
