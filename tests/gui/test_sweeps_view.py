"""The Sweeps tab's Grid page: planning with validated values and a time estimate, a built-in
study as the base, a grid started as an Optuna grid study whose trials fill the live table and
rank, Stop leaving the run in progress resumable, Resume finishing it, Compare all, and a sweep
stored before studies listed, shown and resumed with the legacy runner."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from helpers.legacy_sweeps import legacy_sweep
from helpers.study_scores import plant_scores
from workbench.core.presets import preset_config
from workbench.core.store.runs import RunStore
from workbench.core.sweeps.study_store import load_study, open_storage
from workbench.gui.sweeps.study_monitor import SCORE_COLUMN, STATE_COLUMN
from workbench.gui.sweeps.view import SweepsView


def make_view(qtbot, compared=None, busy=None):
    view = SweepsView(RunStore(), compare=(compared.append if compared is not None else None), busy=busy)
    qtbot.addWidget(view, before_close_func=lambda v: (v.stop_and_wait(), v.editor.stop_estimating()))
    return view


@pytest.fixture
def planted(isolated_home, data_dir, monkeypatch):
    """Scores chosen by the test (no classifier), so a trial takes a second or two."""
    monkeypatch.setenv("WORKBENCH_DATA_DIR", data_dir)
    plant_scores(monkeypatch)
    return data_dir


def plan(view, *fields, base="mlp-small"):
    assert view.editor.set_base("preset", base)
    for name, values in fields:
        view.editor.add_field(name, values)


def wait_idle(qtbot, view, timeout=120_000):
    qtbot.waitUntil(lambda: not view.is_running(), timeout=timeout)


def column(view, index: int) -> list[str]:
    table = view.monitor.table
    return [table.item(r, index).text() for r in range(table.rowCount())]


def test_an_empty_plan_shows_a_hint_and_problems_name_the_columns_not_flags(qtbot, isolated_home):
    view = make_view(qtbot)
    editor = view.editor

    def said() -> str:
        return editor.errors_label.text() + editor.summary_label.text()

    assert editor.errors() == [] and editor.errors_label.isHidden()  # nothing done yet: no red error
    assert "Add a field" in editor.summary_label.text() and "Values column" in editor.summary_label.text()
    assert not view.start_button.isEnabled()
    editor.add_field("lr_g")  # a field without values yet is still a hint
    assert editor.errors() == [] and "Type the values of lr_g in the Values column" in editor.summary_label.text()
    editor.add_field("batch_size", "0")  # the rows typed so far are checked meanwhile
    assert editor.errors() == ["Values of batch_size: “0” is not allowed: expected a whole number >= 1 and <= 4096"]
    assert "Type the values of lr_g" in editor.summary_label.text() and not view.start_button.isEnabled()
    editor.fields_table.selectRow(1)
    editor.remove_selected_field()
    editor.add_field("lr_g", "1e-4")
    assert editor.errors() == ["Field lr_g is chosen in 2 rows: choose it in one row and list all its values there."]
    editor.fields_table.selectRow(1)
    editor.remove_selected_field()
    editor.set_values(0, "1e-4, 2e-4, 3e-4, 4e-4, 5e-4")
    editor.add_field("lr_d", "1e-4, 2e-4, 3e-4, 4e-4, 5e-4")
    editor.add_field("batch_size", "8, 16, 32, 64, 128")
    assert editor.errors() == ["These values make 125 runs; a sweep has at most 100. Remove some values."]
    editor.set_values(2, "8, 0")
    assert editor.errors() == ["Values of batch_size: “0” is not allowed: expected a whole number >= 1 and <= 4096"]
    assert not view.start_button.isEnabled()
    for text in (said(), *editor.errors()):
        assert "--set" not in text and "FIELD=" not in text


def test_values_are_validated_and_counted_like_the_form(qtbot, isolated_home):
    view = make_view(qtbot)
    assert not view.start_button.isEnabled()
    plan(view, ("batch_size", "64, 0, x"), ("lr_g", "1e-4, 2e-4"))
    errors = view.editor.errors()
    assert len(errors) == 2 and all(e.startswith("Values of batch_size: ") for e in errors)
    assert "whole number &gt;= 1" in view.editor.errors_label.text()  # rich text, escaped
    assert not view.start_button.isEnabled()
    view.editor.set_values(0, "64, 128, 256")
    assert view.editor.errors() == [] and view.start_button.isEnabled()
    grid = view.editor.plan()
    assert (grid.sampler, grid.pruner, grid.trials) == ("grid", "none", 6)
    assert "6 runs" in view.editor.summary_label.text()
    assert "scored on 2000 samples" in view.editor.summary_label.text()  # sweeps rank by quality
    qtbot.waitUntil(lambda: view.editor.estimate_text().startswith("About"), timeout=60_000)
    assert "probed on this machine" in view.editor.estimate_text()
    view.editor.stop_estimating()
    assert not view.editor._estimating.is_alive()
    view.editor.fields_table.selectRow(1)
    view.editor.remove_selected_field()
    assert "3 runs" in view.editor.summary_label.text()


def test_a_builtin_study_is_a_base_with_its_own_fields(qtbot, isolated_home):
    view = make_view(qtbot)
    assert view.editor.set_base("study", "dcgan-small-batch-latent-lr")
    assert view.editor.errors() == [] and view.start_button.isEnabled()  # no rows needed
    assert "6 runs</b> of 5 epochs" in view.editor.summary_label.text()
    view.editor.add_field("seed", "1, 2")
    assert view.editor.plan().trials == 12 and view.editor.plan().base.architecture == "dcgan-small"
    view.editor.stop_estimating()


def test_busy_training_tab_refuses_to_start(qtbot, isolated_home):
    view = make_view(qtbot, busy=lambda: "A run is training in the Training tab.")
    plan(view, ("lr_g", "1e-4, 2e-4"))
    assert not view.start()
    assert "Training tab" in view.status_label.text() and not (isolated_home / "sweeps").exists()


def test_a_grid_study_trains_its_trials_fills_the_table_ranked_and_compares_all(qtbot, planted, tmp_path):
    compared = []
    view = make_view(qtbot, compared)
    plan(view, ("lr_g", "2e-4, 5e-4, 1e-3"), ("max_batches", "3"), ("epochs", "2"), ("eval_samples", "256"))
    view.editor.name_edit.setText("gui sweep")
    qtbot.mouseClick(view.start_button, Qt.MouseButton.LeftButton)
    assert view.is_running() and not view.start_button.isEnabled()
    wait_idle(qtbot, view)
    assert view.last_ended.status == "finished"
    study, grid = load_study("gui sweep", open_storage())
    assert (grid.sampler, grid.pruner, len(study.trials)) == ("grid", "none", 3)
    assert column(view, 0) == ["1", "2", "3"] and set(column(view, STATE_COLUMN)) == {"complete"}
    scores = [float(s) for s in column(view, SCORE_COLUMN)]
    assert scores == sorted(scores) and column(view, 2)[0].startswith("lr_g=0.0005")  # the planted best first
    assert "3 of 3 trials done" in view.monitor.title.text() and not view.resume_button.isEnabled()
    assert view.sweep_list.count() == 1 and view.sweep_list.item(0).text() == "gui sweep — finished, 3/3 runs"
    qtbot.mouseClick(view.compare_button, Qt.MouseButton.LeftButton)
    assert len(compared) == 1 and len(compared[0]) == 3
    view.resize(1280, 800)
    view.show()
    assert view.grab().save(str(tmp_path / "grid-page.png"))  # renders offscreen


def test_stop_leaves_the_run_resumable_and_resume_finishes_the_sweep(qtbot, planted):
    view = make_view(qtbot)
    plan(view, ("lr_g", "2e-4, 5e-4"), ("max_batches", "400"), ("epochs", "2"), ("eval_samples", "256"))
    view.start()
    with qtbot.waitSignal(view._worker.progress, timeout=60_000):
        pass
    qtbot.mouseClick(view.stop_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, view)
    assert view.last_ended.status == "stopped"
    (first,) = RunStore().runs()  # a trial's run is made when the trial starts
    assert first.summary().status == "stopped" and sorted(column(view, STATE_COLUMN)) == ["queued", "queued", "retried"]
    assert view.resume_button.isEnabled()
    qtbot.mouseClick(view.resume_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, view, timeout=240_000)
    assert view.last_ended.status == "finished"
    runs = RunStore().runs()
    assert len(runs) == 2 and [[m["epoch"] for m in r.metrics().epochs] for r in runs] == [[1, 2], [1, 2]]
    assert sorted(column(view, STATE_COLUMN)) == ["complete", "complete", "retried"]
    assert not view.resume_button.isEnabled()


def test_a_sweep_stored_before_studies_lists_shows_and_resumes(qtbot, planted):
    old = legacy_sweep(preset_config("mlp-small").with_changes(epochs=1, max_batches=3, eval_samples=256),
                       ["lr_g=2e-4,5e-4"], name="old grid")
    view = make_view(qtbot)
    (item,) = [view.sweep_list.item(i) for i in range(view.sweep_list.count())]
    assert item.text() == "old grid — created, 0/2 runs (stored before studies)"
    view.sweep_list.setCurrentItem(item)
    assert view.current_sweep() == ("legacy", old.id) and column(view, STATE_COLUMN) == ["queued", "queued"]
    assert not view.monitor.plot.isVisibleTo(view) and view.resume_button.isEnabled()
    qtbot.mouseClick(view.resume_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, view)
    assert view.last_ended.status == "finished" and column(view, STATE_COLUMN) == ["finished", "finished"]
    assert column(view, 0) == ["1", "2"] and "2 of 2 runs done" in view.monitor.title.text()
    assert not (old.path.parent / "studies.db").exists()  # read as it is, nothing converted
