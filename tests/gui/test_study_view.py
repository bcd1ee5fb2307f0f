"""The Sweeps tab's search: the plan's problems shown at once (Start disabled), a grid study on
mlp-small trained in its thread with the live table filling, the score plotted against the
searched field and the parameter importances once 4 trials are complete."""

from __future__ import annotations

import pytest

from helpers.study_scores import plant_scores
from workbench.core.store.runs import RunStore
from workbench.core.store.status import RunStatus
from workbench.gui.sweeps.study_view import StudyView


@pytest.fixture
def view(qtbot, isolated_home, mnist_root, monkeypatch):
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(mnist_root))
    plant_scores(monkeypatch)
    view = StudyView(RunStore())
    qtbot.addWidget(view, before_close_func=lambda v: v.stop_and_wait())
    view.resize(1200, 800)
    view.show()
    return view


def test_problems_show_at_once_and_keep_start_disabled(view):
    form = view.form
    assert not view.start_button.isEnabled()  # nothing searched yet
    form.add_field("lr_g", "log range", "0:1")
    form.add_field("batch_size", "list", "32,0")
    form.sampler.setCurrentText("grid")
    text = form.errors_label.text()
    assert "lr_g" in text and "batch_size" in text and "lists of values for a grid" not in text  # lr_g is bad
    assert not view.start_button.isEnabled()
    form.space.cellWidget(0, 2).setText("1e-4:3e-3")
    form.space.cellWidget(1, 2).setText("32,64")
    assert "lists of values for a grid" in form.errors_label.text() and not view.start_button.isEnabled()
    form.sampler.setCurrentText("tpe")
    assert form.errors_label.isHidden() and view.start_button.isEnabled()
    assert form.space_texts() == ["lr_g=log:1e-4:3e-3", "batch_size=32,64"]


def test_a_grid_study_trains_live_plots_and_shows_importances(view, qtbot, tmp_path):
    form = view.form
    form.preset.setCurrentText("mlp-small")
    form.epochs.setValue(2)
    form.batches.setValue(3)
    form.name.setText("gui-grid")
    form.sampler.setCurrentText("grid")
    form.pruner.setCurrentText("none")
    form.add_field("lr_g", "list", "2e-4,5e-4,1e-3,1.5e-3")
    assert view.start()
    assert view.is_running() and view.stop_button.isEnabled()
    qtbot.waitUntil(lambda: not view.is_running(), timeout=120_000)
    view.refresh()
    assert view.study_list.count() == 1 and view.study_list.item(0).text() == "gui-grid"
    assert view.monitor.table.rowCount() == 4
    assert [view.monitor.table.item(i, 3).text() for i in range(4)] == ["complete"] * 4
    assert view.monitor.table.item(0, 2).text() == "lr_g=0.0005"  # the planted best ranks first
    xs, ys = view.monitor.scatter.getData()
    assert len(xs) == 4 and min(ys) == pytest.approx(10.5)
    assert "Parameter importances: lr_g 1.00" in view.monitor.importance_label.text()
    assert "4 of 4 trials done" in view.monitor.title.text()
    assert all(r.summary().status is RunStatus.FINISHED for r in RunStore().runs())
    assert view.grab().save(str(tmp_path / "study-view.png"))  # renders offscreen


def test_the_timer_reads_a_study_in_a_worker_thread_and_shows_what_others_queued(view, qtbot, monkeypatch):
    """A study made elsewhere (another process, another machine) shows up on the timer's read,
    which runs away from the GUI thread so a slow storage never holds up the window."""
    import threading

    from workbench.core.presets import preset_config
    from workbench.core.sweeps import study_table
    from workbench.core.sweeps.study_store import create_study, make_plan, open_storage

    plan = make_plan("made-elsewhere", preset_config("mlp-small").with_changes(epochs=1),
                     ["lr_g=1e-4,2e-4,3e-4"], "grid", "none", None, lists=True)
    create_study(plan, open_storage())
    threads = []
    read = study_table.read_snapshot
    monkeypatch.setattr(study_table, "read_snapshot",
                        lambda *args: threads.append(threading.current_thread()) or read(*args))
    monitor = view.monitor
    monitor.shown, monitor.legacy = (None, "made-elsewhere"), None  # as show_study, without its first read
    monitor._poll()
    qtbot.waitUntil(lambda: monitor.table.rowCount() == 3, timeout=20_000)
    assert threads and threads[0] is not threading.main_thread()
    assert [monitor.table.item(i, 3).text() for i in range(3)] == ["queued"] * 3
    assert "made-elsewhere" in monitor.title.text() and "0 of 3 trials done" in monitor.title.text()
    qtbot.waitUntil(lambda: monitor.reader is None, timeout=5_000)  # the reader retired
    monitor.shown = (None, "no-such-study")
    monitor._poll()
    qtbot.waitUntil(lambda: monitor.reader is None, timeout=20_000)
    assert "no-such-study" in monitor.title.text()  # the storage's answer, in words
