"""The window on a laptop screen: it opens at most at the screen's available geometry, restored
geometry is pulled back onto the screen, and with WORKBENCH_HOME set the window's saved state
lives in that home."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from PySide6.QtCore import QRect, QSize
from PySide6.QtWidgets import QWidget


def test_a_window_is_pulled_back_onto_the_screen(qtbot):
    from workbench.gui.screen_fit import clamp_to_screen

    widget = QWidget()
    qtbot.addWidget(widget)
    available = widget.screen().availableGeometry()
    widget.setGeometry(QRect(available.right() - 100, available.bottom() - 100, available.width() + 500,
                             available.height() + 300))
    assert clamp_to_screen(widget)
    assert available.contains(widget.geometry())
    assert not clamp_to_screen(widget)  # already fits: left where it is


#: runs in a child process whose offscreen screen is 1280×720: a fresh window, then windows
#: restoring a geometry saved larger than the screen and one saved on a screen no longer there
GEOMETRY_CHILD = """
import json
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QApplication
app = QApplication([])
from workbench.gui.main_window import MainWindow

def opened():
    window = MainWindow()
    window.show()
    for _ in range(5):
        app.processEvents()
    return window

def place(window):
    return {"frame": window.frameGeometry().getRect(), "inside": window.geometry().getRect()}

out = {"available": app.primaryScreen().availableGeometry().getRect()}
window = opened()
out["fresh"] = place(window)
for name, rect in (("larger", QRect(200, 150, 1900, 1150)), ("elsewhere", QRect(3000, 2000, 1000, 600))):
    window.setGeometry(rect)
    app.processEvents()
    window.save_state()
    window.close()
    window = opened()
    out[name] = place(window)
print(json.dumps(out))
"""


def test_the_window_opens_within_the_screen_and_restored_geometry_is_clamped(tmp_path):
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"screens": [{"name": "laptop", "x": 0, "y": 0, "width": 1280, "height": 720,
                                               "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))
    env = dict(os.environ, WORKBENCH_HOME=str(tmp_path / "home"), QT_QPA_PLATFORM=f"offscreen:configfile={config}",
               WORKBENCH_OFFLINE="1")
    done = subprocess.run([sys.executable, "-c", GEOMETRY_CHILD], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.splitlines()[-1])
    available = QRect(*out["available"])
    assert available.size() == QSize(1280, 720)
    for case in ("fresh", "larger", "elsewhere"):
        assert available.contains(QRect(*out[case]["frame"])), (case, out[case], out["available"])
    assert QRect(*out["larger"]["inside"]).height() > 600  # shrunk to the screen, not to nothing


def test_window_state_lives_in_workbench_home(qtbot, tmp_path, monkeypatch, isolated_home):
    from workbench.gui.main_window import MainWindow
    from workbench.gui.ui_settings import HOME_FILE, ui_settings

    def epochs_shown() -> str:
        window = MainWindow()
        qtbot.addWidget(window)
        return window.training_view.form.raw_values()["epochs"]

    window = MainWindow()
    qtbot.addWidget(window)
    default = window.training_view.form.raw_values()["epochs"]
    window.training_view.form.set_field("epochs", "7")
    window.close()  # saves the window's state
    assert (isolated_home / HOME_FILE).is_file()
    assert not any((tmp_path / "qsettings").rglob("*.ini"))  # nothing in the platform's config folder
    assert epochs_shown() == "7"

    other = tmp_path / "other-home"
    monkeypatch.setenv("WORKBENCH_HOME", str(other))
    assert epochs_shown() == default  # another profile opens with its own (here: no) saved form
    assert ui_settings().fileName() == str(other / HOME_FILE)

    monkeypatch.delenv("WORKBENCH_HOME")
    assert ui_settings().fileName().startswith(str(tmp_path / "qsettings"))  # the platform's folder, as before
