"""The Sweeps tab: planning with validated values and a time estimate, a sweep training and its
table filling and ranking, Stop leaving the run in progress resumable, Resume finishing it, and
Compare all."""

from __future__ import annotations

from PySide6.QtCore import Qt

from workbench.core.store.runs import RunStore
from workbench.core.sweeps import SweepStore
from workbench.gui.sweeps.view import SweepsView


def make_view(qtbot, compared=None, busy=None):
    view = SweepsView(RunStore(), compare=(compared.append if compared is not None else None), busy=busy)
    qtbot.addWidget(view, before_close_func=lambda v: v.editor.stop_estimating())
    return view


def plan(view, *fields, base="mlp-small"):
    assert view.editor.set_base("preset", base)
    for name, values in fields:
        view.editor.add_field(name, values)


def wait_idle(qtbot, view, timeout=120_000):
    qtbot.waitUntil(lambda: not view.is_running(), timeout=timeout)


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
    assert "6 runs" in view.editor.summary_label.text()
    assert "scored on 2000 samples" in view.editor.summary_label.text()  # sweeps rank by quality
    qtbot.waitUntil(lambda: view.editor.estimate_text().startswith("About"), timeout=60_000)
    assert "probed on this machine" in view.editor.estimate_text()
    view.editor.stop_estimating()
    assert not view.editor._estimating.is_alive()
    view.editor.fields_table.selectRow(1)
    view.editor.remove_selected_field()
    assert "3 runs" in view.editor.summary_label.text()


def test_busy_training_tab_refuses_to_start(qtbot, isolated_home):
    view = make_view(qtbot, busy=lambda: "A run is training in the Training tab.")
    plan(view, ("lr_g", "1e-4, 2e-4"))
    assert not view.start()
    assert "Training tab" in view.status_label.text() and SweepStore().sweeps() == []


def test_a_sweep_trains_its_runs_fills_the_table_ranked_and_compares_all(qtbot, isolated_home, data_dir):
    compared = []
    view = make_view(qtbot, compared)
    plan(view, ("lr_g", "1e-4, 1e-3"), ("max_batches", "15"), ("epochs", "1"), ("eval_samples", "256"),
         ("data_dir", data_dir))
    view.editor.name_edit.setText("gui sweep")
    qtbot.mouseClick(view.start_button, Qt.MouseButton.LeftButton)
    assert view.is_running() and not view.start_button.isEnabled()
    wait_idle(qtbot, view)
    assert view.last_ended.status == "finished"
    table = view.table
    assert table.rowCount() == 2
    assert [table.item(r, 0).text() for r in range(2)] == ["1", "2"]
    scores = [float(table.item(r, 4).text()) for r in range(2)]
    assert scores == sorted(scores)
    assert {table.item(r, 2).text() for r in range(2)} == {"finished"}
    assert "2 of 2 runs done" in view.title.text()
    assert view.sweep_list.count() == 1 and "gui sweep" in view.sweep_list.item(0).text()
    qtbot.mouseClick(view.compare_button, Qt.MouseButton.LeftButton)
    assert len(compared) == 1 and len(compared[0]) == 2


def test_stop_leaves_the_run_resumable_and_resume_finishes_the_sweep(qtbot, isolated_home, data_dir):
    view = make_view(qtbot)
    plan(view, ("lr_g", "1e-4, 2e-4"), ("max_batches", "400"), ("epochs", "2"), ("eval_samples", "0"),
         ("data_dir", data_dir))
    with qtbot.waitSignal(view.table.model().rowsInserted, timeout=5000, raising=False):
        view.start()
    worker = view._worker
    with qtbot.waitSignal(worker.progress, timeout=60_000):
        pass
    qtbot.mouseClick(view.stop_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, view)
    assert view.last_ended.status == "stopped"
    sweep = view.current_sweep()
    first, second = sweep.runs(RunStore())
    assert first.summary().status == "stopped" and second.summary().status == "created"
    assert sweep.status(RunStore()) in ("stopped", "created")
    assert view.resume_button.isEnabled()
    qtbot.mouseClick(view.resume_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, view, timeout=240_000)
    assert view.last_ended.status == "finished"
    assert [[m["epoch"] for m in r.metrics().epochs] for r in (first, second)] == [[1, 2], [1, 2]]
    assert not view.resume_button.isEnabled()
