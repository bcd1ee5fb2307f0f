"""The window's saved state: with WORKBENCH_HOME set it lives in that home, so a second profile or
a test never opens with another's window."""

from __future__ import annotations


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
