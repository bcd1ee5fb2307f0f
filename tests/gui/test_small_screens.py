"""The window on a laptop screen: at 1280×720 and 1366×768 every tab, the Generate window and the
dialogs fit (no widget outside its window or cut off by its parent, none below its minimum size
hint); the window opens at most at the screen's available geometry, restored geometry is pulled
back onto the screen, and with WORKBENCH_HOME set the window's saved state lives in that home."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from PySide6.QtCore import QRect, QSize
from PySide6.QtWidgets import QWidget

from helpers.browser_runs import populate
from helpers.layout_check import SCREENS, layout_problems, settle, window_room

REPORT = {"samples": 1000, "bins": [i / 20 for i in range(21)], "real_hist": [0] * 15 + [100, 200, 300, 250, 150],
          "fake_hist": [400, 300, 200, 100] + [0] * 16, "mean_real": 0.86, "mean_fake": 0.12, "precision": 0.8,
          "recall": 0.9, "f1": 0.847, "accuracy": 0.85, "epoch": 2}


def score_every_epoch(run, one_class: bool = False) -> None:
    """Scores as evaluation stores them, so the quality plots, histograms (and, for `one_class`,
    the mode-collapse badge) show."""
    for entry in run.metrics().epochs:
        epoch = entry["epoch"]
        hist = [300 if i == 7 else 0 for i in range(10)] if one_class else [25 + 5 * ((i + epoch) % 3)
                                                                             for i in range(10)]
        run.update_epoch_metrics(epoch, {"quality": 90.0 / epoch ** 1.5, "class_balance": 0.8, "precision": 0.5,
                                         "recall": 0.4, "density": 0.7, "coverage": 0.6, "class_hist": hist,
                                         "classifier_accuracy": 0.99, "eval_samples": 300})


@pytest.fixture
def runs(isolated_home):
    runs = populate(isolated_home)
    for name, run in runs.items():
        score_every_epoch(run, one_class=name == "alpha")
    (runs["beta"].path / "discriminator.json").write_text(json.dumps(REPORT))
    return runs


@pytest.fixture
def window(runs, qtbot):
    from workbench.gui.app import install_extra_tabs
    from workbench.gui.main_window import MainWindow

    window = MainWindow()
    install_extra_tabs(window)
    qtbot.addWidget(window)
    window.show()
    return window


def tab(window, title: str) -> QWidget:
    index = next(i for i in range(window.tabs.count()) if window.tabs.tabText(i) == title)
    window.tabs.setCurrentIndex(index)
    return window.tabs.widget(index)


def pages(window, runs):
    """Show, one after another, every page of the window with the most it can hold; yields its name."""
    training = tab(window, "Training")
    beta = runs["beta"]
    training.live_view.set_evaluating(True)
    training.live_view.load_history(beta.metrics().epochs, {e: beta.sample_file(e) for e in beta.sample_epochs()})
    training.live_view.flush()
    training.show_message("The form has invalid values (Generator widths, Discriminator widths, Learning rate). "
                          "Fix the fields marked in red, then press Start.", "error")
    yield "Training"
    browser = tab(window, "Runs")
    for name in ("beta", "alpha"):  # alpha looks collapsed: its badge shows
        browser.select_runs([runs[name].id])
        for index in range(browser.details.tabs.count()):
            browser.details.tabs.setCurrentIndex(index)
            yield f"Runs, {name}, {browser.details.tabs.tabText(index)}"
    kinds = tab(window, "Sweeps")
    sweeps, search = kinds.widget(0), kinds.widget(1)
    yield "Sweeps, empty plan"
    sweeps.editor.add_field("batch_size", "64, 0, x")
    sweeps.editor.add_field("lr_g", "1e-4, 2e-4, 5")
    yield "Sweeps, a plan with errors"
    kinds.setCurrentWidget(search)
    search.form.add_field("lr_g", "log range", "1e-4:3e-3")
    search.form.add_field("batch_size", "list", "32,0")
    yield "Sweeps, a search with an error"
    browser.compare_callback(list(runs.values()))
    yield "Compare"


@pytest.mark.parametrize("screen", list(SCREENS))
def test_every_tab_fits_a_laptop_screen(window, runs, screen):
    room = window_room(screen)
    window.resize(room)
    settle(window)
    assert window.size() == room, f"the window needs {window.minimumSizeHint().toTuple()}, more than {screen} has"
    problems = {name: layout_problems(window) for name in pages(window, runs)}
    assert window.size() == room
    assert {name: found for name, found in problems.items() if found} == {}


@pytest.mark.parametrize("screen", list(SCREENS))
def test_the_generate_window_fits_a_laptop_screen(runs, qtbot, screen):
    from workbench.gui.generate.window import GenerateWindow
    from workbench.gui.generate.worker import MODES

    window = GenerateWindow(runs["beta"])
    qtbot.addWidget(window)
    window.resize(window.size().boundedTo(window_room(screen)))
    window.show()
    for mode in MODES:
        window.set_mode(mode)
        assert layout_problems(window) == [], mode
    assert window.width() <= window_room(screen).width() and window.height() <= window_room(screen).height()


def test_the_dialogs_fit_the_smallest_screen(runs, qtbot):
    from workbench.core.store.runs import RunStore
    from workbench.gui.runs.dialogs import ResumeDialog
    from workbench.gui.settings_dialog import CollapseSettingsDialog

    room = window_room("1280x720")
    for dialog in (ResumeDialog(RunStore().get(runs["beta"].id).summary()), CollapseSettingsDialog()):
        qtbot.addWidget(dialog)
        dialog.show()
        assert layout_problems(dialog) == [], type(dialog).__name__
        assert dialog.width() <= room.width() and dialog.height() <= room.height()


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
#: restoring a geometry that fits (as saved), one saved larger than the screen and one saved on a
#: screen no longer there
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
for name, rect in (("fits", QRect(100, 80, 1000, 600)), ("larger", QRect(200, 150, 1900, 1150)),
                   ("elsewhere", QRect(3000, 2000, 1000, 600))):
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
    for case in ("fresh", "fits", "larger", "elsewhere"):
        assert available.contains(QRect(*out[case]["frame"])), (case, out[case], out["available"])
    assert QRect(*out["fits"]["inside"]) == QRect(100, 80, 1000, 600)  # the saved state is what opens
    assert QRect(*out["larger"]["inside"]).height() > 600  # shrunk to the screen, not to nothing
    assert QRect(*out["elsewhere"]["inside"]).size() == QSize(1000, 600)  # moved, not resized


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


def test_a_long_message_scrolls_inside_the_banner_instead_of_growing_the_window(view, qtbot):
    from workbench.gui.training.banner import MAX_LINES

    before = view.minimumSizeHint().height()
    view.show_message("\n".join(f"line {i} of what went wrong" for i in range(1, 21)), "error")
    qtbot.waitUntil(lambda: view.banner.scroll.verticalScrollBar().maximum() > 0)
    line = view.banner.text_label.fontMetrics().lineSpacing()
    assert view.banner.scroll.height() <= line * MAX_LINES + 2
    assert view.minimumSizeHint().height() <= before + line * MAX_LINES + 40
    assert view.message_text().startswith("line 1 of what went wrong")
