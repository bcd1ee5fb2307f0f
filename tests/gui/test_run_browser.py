"""Run browser: listing, sorting, filtering, damaged runs, actions on runs, live refresh."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap

from helpers.browser_runs import keep_best, make_damaged, populate
from workbench.core.store.runs import RunStore
from workbench.gui.runs import COLUMNS, RUN_ID_ROLE, RunBrowser, install_runs_tab


@pytest.fixture
def runs(isolated_home):
    return populate(isolated_home)


@pytest.fixture
def make_browser(qtbot):
    def make(**kwargs):
        browser = RunBrowser(RunStore(), **kwargs)
        qtbot.addWidget(browser)
        browser.resize(1300, 850)
        browser.show()
        return browser
    return make


def column(name: str) -> int:
    return COLUMNS.index(name)


def shown_names(browser) -> list[str]:
    proxy = browser.proxy
    return [proxy.index(r, column("name")).data() for r in range(proxy.rowCount())]


def cell(browser, name: str, col: str, role=Qt.ItemDataRole.DisplayRole):
    for r in range(browser.proxy.rowCount()):
        if browser.proxy.index(r, column("name")).data() == name:
            return browser.proxy.index(r, column(col)).data(role)
    raise AssertionError(f"no row {name!r}")


def no_dialogs(monkeypatch, browser) -> list:
    """Record messages instead of showing them; fail on any question not replaced."""
    said = []
    monkeypatch.setattr(browser, "show_message", lambda title, text: said.append(("info", title, text)))
    monkeypatch.setattr(browser, "show_error", lambda title, text: said.append(("error", title, text)))
    return said


def test_lists_runs_with_status_preset_epochs_losses_and_thumbnails(runs, make_browser):
    browser = make_browser()
    assert browser.model.rowCount() == 3
    assert sorted(shown_names(browser)) == ["alpha", "beta", "gamma"]
    assert cell(browser, "beta", "status") == "finished"
    assert cell(browser, "beta", "epochs") == "3/3"
    assert cell(browser, "alpha", "preset") == "mlp-small"
    assert cell(browser, "alpha", "dataset") == "mnist"
    last = runs["beta"].metrics().epochs[-1]
    assert cell(browser, "beta", "d_loss") == f"{last['d_loss']:.4f}"
    assert cell(browser, "beta", "g_loss") == f"{last['g_loss']:.4f}"
    assert cell(browser, "beta", "created")[:4].isdigit() and cell(browser, "beta", "duration").endswith("s")
    thumb = cell(browser, "alpha", "grid", Qt.ItemDataRole.DecorationRole)
    assert isinstance(thumb, QPixmap) and not thumb.isNull() and thumb.width() <= 48
    assert browser.count_label.text() == "3 runs"


def test_thumbnails_are_cached_by_path_and_mtime(runs, make_browser):
    browser = make_browser()
    cache = browser.model.thumbnails
    summary = browser.model.summary_of(runs["alpha"].id)
    first = cache.get(summary.thumbnail)
    loads = cache.loads
    assert cache.get(summary.thumbnail) is first and cache.loads == loads
    stat = summary.thumbnail.stat()
    os.utime(summary.thumbnail, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000))
    cache.get(summary.thumbnail)
    assert cache.loads == loads + 1


def test_sorting_by_columns(runs, make_browser):
    browser = make_browser()
    table = browser.table
    table.sortByColumn(column("d_loss"), Qt.SortOrder.AscendingOrder)
    by_loss = sorted(runs, key=lambda n: runs[n].metrics().epochs[-1]["d_loss"])
    assert shown_names(browser) == by_loss
    table.sortByColumn(column("d_loss"), Qt.SortOrder.DescendingOrder)
    assert shown_names(browser) == by_loss[::-1]
    table.sortByColumn(column("name"), Qt.SortOrder.AscendingOrder)
    assert shown_names(browser) == ["alpha", "beta", "gamma"]
    table.sortByColumn(column("epochs"), Qt.SortOrder.DescendingOrder)
    assert shown_names(browser)[0] == "beta"


def test_best_column_shows_and_sorts_the_best_epoch(runs, make_browser, qtbot):
    keep_best(runs["alpha"], 2, 1.84)
    keep_best(runs["beta"], 1, 0.9)
    browser = make_browser()
    assert browser.model.headerData(column("best"), Qt.Orientation.Horizontal) == "Best"
    assert cell(browser, "alpha", "best") == "2 (1.84)" and cell(browser, "beta", "best") == "1 (0.90)"
    assert cell(browser, "gamma", "best") == ""
    assert "best.pt" in cell(browser, "alpha", "best", Qt.ItemDataRole.ToolTipRole)
    assert cell(browser, "gamma", "best", Qt.ItemDataRole.ToolTipRole) == "Not evaluated yet"
    browser.table.sortByColumn(column("best"), Qt.SortOrder.AscendingOrder)
    assert shown_names(browser) == ["beta", "alpha", "gamma"]
    browser.table.sortByColumn(column("best"), Qt.SortOrder.DescendingOrder)
    assert shown_names(browser) == ["alpha", "beta", "gamma"]  # a run without a best stays last
    browser.grab().save("/tmp/runs-best.png")
    keep_best(runs["gamma"], 1, 0.5)  # a best kept later (evaluate) shows on the next refresh
    qtbot.waitUntil(lambda: cell(browser, "gamma", "best") == "1 (0.50)", timeout=10_000)


def test_filtering_keeps_rows_with_every_word(runs, isolated_home, make_browser):
    make_damaged(isolated_home)
    browser = make_browser()
    browser.filter_edit.setText("BET")
    assert shown_names(browser) == ["beta"]
    browser.filter_edit.setText("damaged")
    assert shown_names(browser) == ["broken"]
    browser.filter_edit.setText("mlp finished")
    assert sorted(shown_names(browser)) == ["alpha", "beta", "gamma"]
    assert browser.count_label.text() == "3 of 4 runs"
    browser.filter_edit.setText("nothing like this")
    assert shown_names(browser) == []
    browser.filter_edit.clear()
    assert len(shown_names(browser)) == 4


def test_damaged_run_shows_why_and_can_still_be_exported_and_deleted(isolated_home, make_browser, monkeypatch,
                                                                    tmp_path):
    run = make_damaged(isolated_home)
    browser = make_browser()
    said = no_dialogs(monkeypatch, browser)
    assert cell(browser, "broken", "status") == "damaged"
    assert "half-written" in cell(browser, "broken", "status", Qt.ItemDataRole.ToolTipRole)
    browser.select_runs([run.id])
    assert "half-written" in browser.details.header.text()
    assert not browser.resume_action.isEnabled() and not browser.generate_action.isEnabled()
    assert browser.export_action.isEnabled() and browser.delete_action.isEnabled()

    monkeypatch.setattr(browser, "choose_export_dir", lambda summary: str(tmp_path / "out"))
    written = browser.export_selected()
    assert (tmp_path / "out" / run.id / "metrics.csv").exists()
    assert any("no generator weights" in n for n in written.notes)
    assert said[-1][1] == "Exported" and "half-written" in said[-1][2]

    monkeypatch.setattr(browser, "confirm_delete", lambda summaries: True)
    assert browser.delete_selected() == [run.id]
    assert not run.path.exists() and browser.model.rowCount() == 0


def test_rename_and_notes_persist(runs, make_browser, monkeypatch, qtbot):
    browser = make_browser()
    run = runs["alpha"]
    browser.select_runs([run.id])
    monkeypatch.setattr(browser, "ask_new_name", lambda summary: "  alpha prime ")
    assert browser.rename_selected()
    assert run.info()["name"] == "alpha prime"
    assert "alpha prime" in shown_names(browser)
    assert browser.selected_ids() == [run.id]  # selection survives the refresh

    browser.edit_notes_selected()
    assert browser.details.tabs.currentIndex() == 1
    browser.details.notes_edit.selectAll()
    browser.details.notes_edit.insertPlainText("lr too low?\nsecond line")  # as typing does
    assert browser.details.save_notes_button.isEnabled()
    qtbot.mouseClick(browser.details.save_notes_button, Qt.MouseButton.LeftButton)
    assert run.info()["notes"] == "lr too low?\nsecond line"
    assert not browser.details.save_notes_button.isEnabled()

    again = RunBrowser(RunStore())
    qtbot.addWidget(again)
    again.select_runs([run.id])
    assert again.details.notes_edit.toPlainText() == "lr too low?\nsecond line"
    assert "alpha prime" in again.details.header.text()


def test_delete_asks_and_removes_and_refuses_while_training(runs, make_browser, monkeypatch):
    browser = make_browser()
    said = no_dialogs(monkeypatch, browser)
    asked = []
    answer = {"value": False}
    monkeypatch.setattr(browser, "confirm_delete", lambda summaries: asked.append(summaries) or answer["value"])
    gamma = runs["gamma"]
    browser.select_runs([gamma.id])
    assert browser.delete_selected() == []
    assert asked and asked[0][0].name == "gamma" and gamma.path.exists()

    answer["value"] = True
    with gamma.lock():  # as a trainer holds it
        assert browser.delete_selected() == []
    assert gamma.path.exists() and said[-1][0] == "error" and "being trained" in said[-1][2]

    browser.select_runs([runs["alpha"].id, gamma.id])
    assert sorted(browser.delete_selected()) == sorted([runs["alpha"].id, gamma.id])
    assert not gamma.path.exists() and not runs["alpha"].path.exists()
    assert shown_names(browser) == ["beta"]


def test_resume_hands_the_run_over_and_training_continues_from_the_checkpoint(runs, make_browser, monkeypatch):
    from workbench.core.training.trainer import Trainer

    calls = []

    def resume(run, extra_epochs):
        """What the training window does: a longer config, then the trainer (here inline)."""
        calls.append((run.id, extra_epochs))
        config = run.config()
        config = config.with_changes(epochs=config.epochs + (extra_epochs or 0))
        run.save_config(config)
        Trainer(config, run).fit()

    browser = make_browser(resume=resume)
    alpha = runs["alpha"]
    before = alpha.metrics().epochs
    browser.select_runs([alpha.id])
    asked = []
    monkeypatch.setattr(browser, "ask_resume_epochs", lambda summary: asked.append(summary) or 1)
    assert browser.resume_selected()
    assert asked[0].epochs_done == 2 and calls == [(alpha.id, 1)]
    after = alpha.metrics().epochs
    assert [e["epoch"] for e in after] == [1, 2, 3]
    assert after[:2] == before  # continued from the checkpoint, the first epochs were not redone
    browser.refresh()
    assert cell(browser, "alpha", "epochs") == "3/3"
    assert browser.details.grid_view.epochs() == [1, 2, 3]

    monkeypatch.setattr(browser, "ask_resume_epochs", lambda summary: None)  # cancelled
    assert not browser.resume_selected() and len(calls) == 1


def test_new_run_from_config_fills_the_form_through_the_callable(runs, make_browser):
    received = []
    browser = make_browser(new_run=lambda config, preset: received.append((config, preset)))
    browser.select_runs([runs["beta"].id])
    assert browser.new_run_from_selected()
    config, preset = received[0]
    assert config == runs["beta"].config() and config.lr_g == 0.001 and preset == "mlp-small"


def test_generate_opens_the_generate_window_on_the_selected_run(runs, make_browser, qtbot):
    from workbench.gui.generate.window import GenerateWindow

    browser = make_browser()
    browser.select_runs([runs["beta"].id])
    window = browser.generate_selected()
    assert isinstance(window, GenerateWindow) and window.isVisible()
    assert window.run.id == runs["beta"].id and window.epoch() == 3 and "beta" in window.windowTitle()
    assert browser.generate_selected() is window  # brought forward, not opened twice
    qtbot.waitUntil(window.is_idle, timeout=30_000)
    assert window.images.shape == (64, 28, 28) and window.shown_request.epoch == 3
    window.close()
    qtbot.waitUntil(lambda: not browser._generate_windows)


def test_export_writes_files_that_open(runs, make_browser, monkeypatch, tmp_path):
    import torch

    browser = make_browser()
    said = no_dialogs(monkeypatch, browser)
    beta = runs["beta"]
    browser.select_runs([beta.id])
    monkeypatch.setattr(browser, "choose_export_dir", lambda summary: str(tmp_path))
    browser.export_selected()
    out = tmp_path / beta.id
    assert json.loads((out / "run.json").read_text())["name"] == "beta"
    assert (out / "metrics.csv").read_text().splitlines()[0].startswith("epoch,d_loss,g_loss")
    assert not QImage(str(out / "samples" / "epoch-0003.png")).isNull()
    assert isinstance(torch.load(out / "generator.pt", weights_only=True), dict)
    assert said == [("info", "Exported", said[0][2])] and str(out) in said[0][2]


def test_reveal_opens_the_folder_and_actions_follow_the_selection(runs, make_browser, monkeypatch):
    browser = make_browser()
    opened = []
    monkeypatch.setattr(browser, "open_url", lambda url: opened.append(url))
    assert not browser.compare_action.isEnabled() and not browser.open_action.isEnabled()
    browser.select_runs([runs["alpha"].id])
    browser.reveal_selected()
    assert opened[0].toLocalFile() == str(runs["alpha"].path)
    assert browser.resume_action.isEnabled() and not browser.compare_action.isEnabled()
    browser.select_runs([runs["alpha"].id, runs["beta"].id])
    assert browser.compare_action.isEnabled() and not browser.resume_action.isEnabled()
    menu = browser.build_context_menu()
    texts = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert {"Open", "Resume…", "New run from config", "Rename…", "Generate…", "Export…", "Delete…",
            "Reveal in file manager", "Compare"} <= set(texts)
    shortcuts = {a.text(): a.shortcut().toString() for a in browser.actions()}
    assert shortcuts["Delete…"] == "Del" and shortcuts["Rename…"] == "F2" and shortcuts["Resume…"] == "Ctrl+R"


def test_install_runs_tab_wires_resume_new_run_and_compare(runs, qtbot, monkeypatch):
    class FakeMain:
        def __init__(self):
            self.tabs = []

        def add_tab(self, widget, title):
            qtbot.addWidget(widget)
            self.tabs.append((title, widget))

    class FakeTraining:
        def __init__(self):
            self.calls = []

        def resume_run(self, run, extra_epochs=None):
            self.calls.append(("resume", run.id, extra_epochs))

        def load_config(self, config, preset=None):
            self.calls.append(("load", config.epochs, preset))

    main, training = FakeMain(), FakeTraining()
    browser = install_runs_tab(main, training)
    assert main.tabs[0] == ("Runs", browser)
    browser.select_runs([runs["gamma"].id])
    monkeypatch.setattr(browser, "ask_resume_epochs", lambda summary: 0)
    browser.resume_selected()
    browser.new_run_from_selected()
    assert training.calls == [("resume", runs["gamma"].id, None), ("load", 2, "mlp-small")]
    browser.select_runs([runs["alpha"].id, runs["beta"].id, runs["gamma"].id])
    view = browser.compare_selected()
    assert main.tabs[-1] == ("Compare 3 runs", view) and len(view.grid_views) == 3


def test_a_run_trained_by_another_process_appears_and_advances_live(runs, isolated_home, make_browser, qtbot):
    browser = make_browser(poll_ms=200)
    browser.select_runs([runs["beta"].id])
    seen = set()
    browser.model.runs_changed.connect(
        lambda ids: seen.update(s.epochs_done for s in browser.model.summaries() if s.name == "from cli"))
    script = textwrap.dedent("""
        import time
        from workbench.core.presets import preset_config
        from workbench.core.store.runs import RunStore
        from workbench.core.training.trainer import Trainer
        config = preset_config("mlp-small").with_changes(epochs=3, max_batches=5, device="cpu")
        run = RunStore().create(config, name="from cli", preset="mlp-small")
        slow = lambda event: time.sleep(0.8) if type(event).__name__ == "EpochEnded" else None
        Trainer(config, run).fit(on_event=slow)
    """)
    env = dict(os.environ, WORKBENCH_HOME=str(isolated_home))
    process = subprocess.Popen([sys.executable, "-c", script], env=env)
    try:
        qtbot.waitUntil(lambda: "from cli" in shown_names(browser), timeout=60_000)
        qtbot.waitUntil(lambda: cell(browser, "from cli", "status") == "finished"
                        and cell(browser, "from cli", "epochs") == "3/3", timeout=60_000)
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert len(seen & {1, 2, 3}) >= 2, seen  # watched it advance, not just finish
    assert browser.selected_ids() == [runs["beta"].id]
    assert browser.model.rowCount() == 4


def test_listing_does_not_import_torch(runs, isolated_home):
    script = textwrap.dedent("""
        import sys
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from workbench.gui.runs import RunBrowser
        browser = RunBrowser()
        browser.show()
        app.processEvents()
        browser.grab()
        assert browser.model.rowCount() == 3, browser.model.rowCount()
        print("torch" in sys.modules)
    """)
    env = dict(os.environ, WORKBENCH_HOME=str(isolated_home), QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "False"


def test_refresh_updates_rows_in_place(runs, make_browser):
    browser = make_browser()
    resets = []
    browser.model.modelReset.connect(lambda: resets.append(1))
    browser.select_runs([runs["gamma"].id])
    runs["alpha"].update_info(name="alpha renamed elsewhere")
    assert browser.refresh()
    assert "alpha renamed elsewhere" in shown_names(browser)
    assert not browser.refresh()  # nothing changed since
    assert resets == [] and browser.selected_ids() == [runs["gamma"].id]
    assert browser.table.selectionModel().selectedRows()[0].data(RUN_ID_ROLE) == runs["gamma"].id


def test_resume_through_the_real_training_window(runs, qtbot, monkeypatch):
    from workbench.gui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    browser = install_runs_tab(window, window.training_view)
    assert window.tabs.tabText(window.tabs.indexOf(browser)) == "Runs"
    view = window.training_view
    alpha = runs["alpha"]
    before = alpha.metrics().epochs
    browser.select_runs([alpha.id])
    monkeypatch.setattr(browser, "ask_resume_epochs", lambda summary: 1)
    assert browser.resume_selected()
    assert window.tabs.currentWidget() is view
    try:
        qtbot.waitUntil(lambda: not view.is_training(), timeout=60_000)
    finally:
        view.stop_and_wait()
    assert type(view.last_final_event()).__name__ == "Finished"
    after = alpha.metrics().epochs
    assert [e["epoch"] for e in after] == [1, 2, 3] and after[:2] == before
    browser.refresh()
    assert cell(browser, "alpha", "epochs") == "3/3" and cell(browser, "alpha", "status") == "finished"


def test_ui_state_round_trips_through_qsettings(runs, make_browser):
    from PySide6.QtCore import QSettings

    from workbench.gui.ui_settings import ui_settings

    browser = make_browser()
    browser.table.sortByColumn(column("g_loss"), Qt.SortOrder.AscendingOrder)
    browser._last_export_dir = "/somewhere"
    settings = ui_settings()
    browser.save_state(settings)
    settings.sync()
    again = make_browser()
    again.restore_state(QSettings(settings.fileName(), QSettings.Format.IniFormat))
    header = again.table.horizontalHeader()
    assert header.sortIndicatorSection() == column("g_loss")
    assert header.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder
    assert again._last_export_dir == "/somewhere"
