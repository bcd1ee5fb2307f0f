"""GUI test setup: offscreen Qt, a temporary app home and QSettings, no leaked threads."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any Qt import

import threading  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402

DATA_ENV = "WORKBENCH_DATA_DIR"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """Runs, settings.json and QSettings of each test live under its own tmp folder."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.setenv("WORKBENCH_OFFLINE", "1")
    qsettings = tmp_path / "qsettings"
    qsettings.mkdir()
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(qsettings))
    return home


@pytest.fixture(autouse=True)
def no_leaked_threads(request):
    """Fail a test that leaves a worker QThread (or a non-daemon Python thread) running."""
    before = {t.ident for t in threading.enumerate()}
    yield
    from workbench.gui import workers
    running = workers.running_threads()
    leaked = [t for t in threading.enumerate()
              if t.ident not in before and t.is_alive() and not t.daemon]
    for thread in running:  # don't let one failure hang the rest of the session
        thread.quit()
        thread.wait(10_000)
    assert not running, f"{request.node.name} left {len(running)} worker thread(s) running"
    assert not leaked, f"{request.node.name} left Python threads running: {leaked}"


@pytest.fixture
def data_dir():
    """The real MNIST root from the environment; tests that need it skip without it."""
    from workbench.core.data.datasets import raw_folder

    value = os.environ.get(DATA_ENV)
    if not value or not raw_folder("mnist", Path(value)).is_dir():
        pytest.skip(f"real MNIST not available: set {DATA_ENV} to a folder holding MNIST/raw")
    return value


@pytest.fixture
def view(qtbot):
    """A shown TrainingView. Not given to qtbot.addWidget: pytest-qt would delete it before a
    running thread stops."""
    from workbench.gui.training.view import TrainingView

    view = TrainingView()
    view.resize(1300, 850)
    view.show()
    yield view
    assert view.stop_and_wait(30_000)
    view.close()
    view.deleteLater()
