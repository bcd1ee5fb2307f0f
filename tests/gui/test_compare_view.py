"""Compare view: N curves and N grids, one shared epoch slider, the config diff, image quality
(summary rows, ranking, log-scale curves), export."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QLabel

from helpers.browser_runs import keep_best, make_damaged, populate
from workbench.core.config import field_names
from workbench.core.store.runs import RunStore
from workbench.gui.compare.tables import DIFF_BACKGROUND, NOT_EVALUATED, SUMMARY_ROWS
from workbench.gui.compare.view import CompareView
from workbench.gui.plots.colours import RunPalette
from workbench.gui.runs import RunBrowser


@pytest.fixture
def runs(isolated_home):
    return populate(isolated_home)


@pytest.fixture
def view(runs, qtbot):
    view = CompareView([runs["alpha"], runs["beta"], runs["gamma"]])
    qtbot.addWidget(view)
    view.resize(1400, 900)
    view.show()
    return view


def test_one_d_and_one_g_curve_per_run_with_distinct_colours_and_toggles(view, runs):
    keys = view.loss_plot.series_keys()
    assert len(keys) == 6
    assert {k.split("/")[1] for k in keys} == {"d", "g"}
    assert len({c.name() for c in view.colors}) == 3
    x, y = view.loss_plot.series_data(f"{runs['beta'].id}/g")
    assert list(x) == [1, 2, 3] and len(y) == 3
    view.toggles[1].setChecked(False)
    items = view.loss_plot._series
    assert not items[f"{runs['beta'].id}/d"].item.isVisible()
    assert not items[f"{runs['beta'].id}/g"].item.isVisible()
    assert items[f"{runs['alpha'].id}/d"].item.isVisible()
    view.smoothing.set_weight(0.5)
    assert view.loss_plot.smoothing() == 0.5


def test_the_shared_slider_moves_every_grid_and_short_runs_say_last(view):
    assert len(view.grid_views) == 3
    assert all(not g._controls.isVisible() for g in view.grid_views)
    assert view.slider.maximum() == 3 and view.epoch() == 3
    view.slider.setValue(1)
    assert [g.current_epoch() for g in view.grid_views] == [1, 1, 1]
    assert all(g.current_image() is not None for g in view.grid_views)
    view.slider.setValue(3)
    assert [g.current_epoch() for g in view.grid_views] == [2, 3, 2]
    captions = [g.caption_label.text() for g in view.grid_views]
    assert captions[0] == "alpha — epoch 2 (last)" and captions[2].endswith("epoch 2 (last)")
    assert captions[1] == "beta — epoch 3 (last)"
    view.slider.setValue(2)
    assert view.grid_views[1].caption_label.text() == "beta — epoch 2"


def test_best_epochs_puts_each_grid_at_its_runs_best_and_the_slider_leaves_it(runs, qtbot, tmp_path):
    from PySide6.QtWidgets import QAbstractSlider

    keep_best(runs["alpha"], 1, 1.84)
    keep_best(runs["beta"], 2, 0.9)
    view = CompareView([runs["alpha"], runs["beta"], runs["gamma"]])
    qtbot.addWidget(view)
    view.resize(1400, 900)
    view.show()
    assert view.best_button.isEnabled() and not view.best_button.isChecked() and view.epoch() == 3
    view.best_button.click()
    assert [g.current_epoch() for g in view.grid_views] == [1, 2, 2]
    captions = [g.caption_label.text() for g in view.grid_views]
    assert captions == ["alpha — epoch 1 (best, 1.84)", "beta — epoch 2 (best, 0.90)", "gamma — epoch 2 (last)"]
    assert view.epoch_label.text() == "each run's best"
    view.grab().save("/tmp/compare-best.png")
    written = view.export_comparison(tmp_path)
    assert written[0].name == "comparison-best.png"
    view.slider.triggerAction(QAbstractSlider.SliderAction.SliderSingleStepSub)  # the user moves it
    assert not view.best_button.isChecked() and view.epoch() == 2
    assert [g.current_epoch() for g in view.grid_views] == [2, 2, 2]


def test_best_epochs_is_off_for_runs_that_keep_none(view):
    assert not view.best_button.isEnabled()


def test_config_diff_table_marks_exactly_the_differing_fields(view):
    assert set(view.differing_fields()) == {"epochs", "lr_g", "seed"}
    assert set(view.visible_config_fields()) == {"epochs", "lr_g", "seed"}
    table = view.config_table
    for row, diff in enumerate(view.diff):
        highlighted = table.item(row, 0).background().color() == DIFF_BACKGROUND
        assert highlighted == diff.differs, diff.field
    view.show_all_fields.setChecked(True)
    assert view.visible_config_fields() == field_names()
    lr_row = [r.field for r in view.diff].index("lr_g")
    assert [table.item(lr_row, c).text() for c in range(3)] == ["0.0002", "0.001", "0.0002"]
    summary = view.summary_table
    assert [summary.item(1, c).text() for c in range(3)] == ["2/2", "3/3", "2/2"]
    assert summary.item(2, 1).text() == f"{view.data[1].epochs[-1]['d_loss']:.4f}"


def test_export_comparison_writes_a_labelled_png_and_the_curves_csv(view, monkeypatch, tmp_path):
    said = []
    monkeypatch.setattr(view, "choose_export_dir", lambda: str(tmp_path))
    monkeypatch.setattr(view, "show_message", lambda title, text: said.append(text))
    view.slider.setValue(2)
    view.export_button.click()
    png, csv_path = tmp_path / "comparison-epoch-0002.png", tmp_path / "comparison-curves.csv"
    assert said and str(png) in said[0] and str(csv_path) in said[0]
    assert not QImage(str(tmp_path / "comparison-plots.png")).isNull()
    image = QImage(str(png))
    assert not image.isNull() and image.width() > 3 * 242 and image.height() > 242
    rows = list(csv.DictReader(csv_path.open()))
    assert [(r["run"], int(r["epoch"])) for r in rows] == [
        ("alpha", 1), ("alpha", 2), ("beta", 1), ("beta", 2), ("beta", 3), ("gamma", 1), ("gamma", 2)]
    assert all(float(r["d_loss"]) > 0 and float(r["g_loss"]) > 0 for r in rows)
    assert all(r["quality"] == r["precision"] == r["class_balance"] == "" for r in rows)  # trained without scores
    # the run colours frame each grid in the exported picture
    assert QColor(image.pixel(16 + 5, 17)).name() == view.colors[0].name()


def test_compare_from_the_browser_uses_the_list_colours(runs, qtbot):
    palette = RunPalette()
    browser = RunBrowser(RunStore(), palette=palette)
    qtbot.addWidget(browser)
    ids = [runs[n].id for n in ("alpha", "beta", "gamma")]
    browser.select_runs(ids)
    view = browser.compare_selected()
    qtbot.addWidget(view)
    assert isinstance(view, CompareView) and sorted(view.run_ids()) == sorted(ids)
    assert [c.name() for c in view.colors] == [palette.color(i).name() for i in view.run_ids()]
    assert len({c.name() for c in view.colors}) == 3
    view.close()


def test_compare_needs_two_to_eight_runs(runs):
    with pytest.raises(ValueError):
        CompareView([runs["alpha"]])


def test_palette_colours_neighbours_apart_and_compared_runs_distinct(qtbot):
    palette = RunPalette()
    ids = [f"run-{i}" for i in range(10)]
    palette.register(ids)
    assert len({palette.color(i).name() for i in ids[:8]}) == 8
    assert palette.color("run-8") == palette.color("run-0")  # the palette wraps around
    with qtbot.waitSignal(palette.changed):
        colors = palette.assign_distinct(["run-0", "run-8"])
    assert colors[0] != colors[1] and palette.color("run-8") == colors[1]  # and it sticks
    assert palette.color("never-listed") == palette.color("never-listed")


def test_a_damaged_run_can_be_compared_and_says_so(runs, isolated_home, qtbot):
    broken = make_damaged(isolated_home)
    broken.config_file.unlink()
    view = CompareView([runs["alpha"], broken])
    qtbot.addWidget(view)
    assert view.grid_views[1].caption_label.text() == "broken: no samples"
    assert "damaged" in view.summary_table.item(0, 1).text()
    assert set(view.differing_fields()) == set(field_names())  # nothing is known of its config
    x, _ = view.loss_plot.series_data(f"{broken.id}/d")
    assert list(x) == [1]
    assert not view.render_comparison().isNull()


def test_new_epochs_of_a_compared_run_appear_and_the_slider_follows(view, runs):
    from workbench.core.training.trainer import Trainer

    alpha = runs["alpha"]
    assert view.refresh() is False
    final = Trainer(alpha.config().with_changes(epochs=4), alpha).fit()
    assert type(final).__name__ == "Finished"
    assert view.refresh() is True
    x, _ = view.loss_plot.series_data(f"{alpha.id}/d")
    assert list(x) == [1, 2, 3, 4]
    assert view.slider.maximum() == 4 and view.epoch() == 4
    assert view.grid_views[0].current_epoch() == 4
    assert view.grid_views[0].caption_label.text() == "alpha — epoch 4 (last)"
    assert view.summary_table.item(1, 0).text() == "4/4"
    assert view.refresh() is False


# ---- image quality ---------------------------------------------------------------------------
# name -> [(epoch, Fréchet score, class balance, precision, recall)]; gamma is never evaluated
SCORES = {"alpha": [(1, 60.0, 0.5, 0.3, 0.2), (2, 45.5, 0.8, 0.55, 0.45)],
          "beta": [(1, 80.0, 0.4, 0.2, 0.1), (2, 20.25, 0.91, 0.81, 0.72), (3, 33.0, 0.95, 0.7, 0.75)]}


def write_scores(run, scores) -> None:
    """Put the scores into the run's metrics lines, as evaluation does (density is precision +
    0.1 and coverage recall + 0.1 here)."""
    by_epoch = {epoch: values for epoch, *values in scores}
    lines = []
    for line in run.metrics_file.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        if entry["epoch"] in by_epoch:
            quality, balance, precision, recall = by_epoch[entry["epoch"]]
            entry.update(quality=quality, precision=precision, recall=recall, density=precision + 0.1,
                         coverage=recall + 0.1, class_balance=balance)
        lines.append(json.dumps(entry))
    run.metrics_file.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def scored_view(runs, qtbot):
    for name, scores in SCORES.items():
        write_scores(runs[name], scores)
    view = CompareView([runs["gamma"], runs["alpha"], runs["beta"]])  # not in rank order on purpose
    qtbot.addWidget(view)
    view.resize(1400, 900)
    view.show()
    return view


def summary_row(view, label: str) -> list[str]:
    row = SUMMARY_ROWS.index(label)
    return [view.summary_table.item(row, c).text() for c in range(view.summary_table.columnCount())]


def test_quality_rows_show_best_and_final_scores_and_the_rank(scored_view):
    # columns: gamma (not evaluated), alpha, beta
    assert summary_row(scored_view, "Best quality") == ["", "45.500", "20.250"]
    assert summary_row(scored_view, "at epoch") == ["", "2", "2"]
    assert summary_row(scored_view, "Precision there") == ["", "0.550", "0.810"]
    assert summary_row(scored_view, "Recall there") == ["", "0.450", "0.720"]
    assert summary_row(scored_view, "Density there") == ["", "0.650", "0.910"]
    assert summary_row(scored_view, "Coverage there") == ["", "0.550", "0.820"]
    assert summary_row(scored_view, "Class balance there") == ["", "0.800", "0.910"]
    assert summary_row(scored_view, "Final quality") == ["", "45.500", "33.000"]
    assert summary_row(scored_view, "Final class balance") == ["", "0.800", "0.950"]
    assert summary_row(scored_view, "Rank") == [NOT_EVALUATED, "2", "1"]
    assert summary_row(scored_view, "Epochs") == ["2/2", "2/2", "3/3"]  # the loss rows are still there


def test_runs_are_ranked_by_best_quality_with_unevaluated_runs_last(scored_view, runs):
    assert scored_view.quality_ranking() == [runs["beta"].id, runs["alpha"].id, runs["gamma"].id]
    label = scored_view.findChild(QLabel, "qualityRanking")
    assert label is not None and label.isVisible()
    text = label.text()
    assert text.index("beta") < text.index("20.250") < text.index("alpha") < text.index("45.500")
    assert "20.250</b> (precision 0.81, recall 0.72)" in text
    assert text.index("45.500") < text.index(NOT_EVALUATED) < text.index("gamma")


def test_a_conditional_runs_class_accuracy_is_ranked_and_shown_only_when_present(scored_view, runs):
    table = scored_view.summary_table
    accuracy_row = SUMMARY_ROWS.index("Class accuracy there")
    assert table.isRowHidden(accuracy_row)  # no compared run is conditional
    lines = runs["beta"].metrics_file.read_text(encoding="utf-8").splitlines()
    entries = [json.loads(line) for line in lines]
    for entry in entries:
        if entry.get("quality") is not None:
            entry.update(class_accuracy=0.5 + 0.2 * entry["epoch"], intra_quality=30.0 - entry["epoch"])
    runs["beta"].metrics_file.write_text("\n".join(json.dumps(e) for e in entries) + "\n", encoding="utf-8")
    assert scored_view.refresh() is True
    assert not table.isRowHidden(accuracy_row)
    assert summary_row(scored_view, "Class accuracy there") == ["", "", "0.900"]  # beta's best epoch is 2
    assert summary_row(scored_view, "Intra-class score there") == ["", "", "28.000"]
    assert "(precision 0.81, recall 0.72, class accuracy 0.90)" in scored_view.ranking_label.text()


def test_quality_curves_one_per_evaluated_run_on_a_log_axis(scored_view, runs):
    plot = scored_view.findChild(type(scored_view.quality_plot), "compareQualityPlot")
    assert plot is scored_view.quality_plot and plot.isVisible()
    assert plot.plot_widget.getPlotItem().ctrl.logYCheck.isChecked()
    assert sorted(plot.series_keys()) == sorted(f"{runs[n].id}/quality" for n in ("alpha", "beta"))
    for name, scores in SCORES.items():
        x, y = plot.series_data(f"{runs[name].id}/quality")
        assert list(x) == [e for e, *_ in scores]
        assert np.allclose(10.0 ** y, [q for _, q, *_ in scores])  # drawn as log10 on the log axis
        column = scored_view.run_ids().index(runs[name].id)
        assert plot._series[f"{runs[name].id}/quality"].color.name() == scored_view.colors[column].name()
    scored_view.toggles[2].setChecked(False)  # beta's checkbox hides its quality curve too
    assert not plot._series[f"{runs['beta'].id}/quality"].item.isVisible()
    assert plot._series[f"{runs['alpha'].id}/quality"].item.isVisible()


def test_a_comparison_of_runs_without_scores_opens_with_empty_quality(view):
    assert view.quality_plot.series_keys() == [] and not view.quality_plot.isVisible()
    assert summary_row(view, "Rank") == [NOT_EVALUATED] * 3
    for label in ("Best quality", "at epoch", "Precision there", "Recall there", "Density there", "Coverage there",
                  "Class balance there", "Final quality", "Final class balance"):
        assert summary_row(view, label) == [""] * 3, label
    assert "none of these runs was evaluated" in view.ranking_label.text()
    assert view.quality_ranking() == view.run_ids()  # no scores: the given order


def test_exported_csv_carries_the_scores(scored_view, runs, tmp_path):
    scored_view.export_comparison(tmp_path)
    rows = list(csv.DictReader((tmp_path / "comparison-curves.csv").open()))
    got = {(r["run"], int(r["epoch"])): (r["quality"], r["precision"], r["class_balance"]) for r in rows}
    assert got[("beta", 2)] == ("20.25", "0.81", "0.91") and got[("alpha", 1)] == ("60.0", "0.3", "0.5")
    assert got[("gamma", 1)] == ("", "", "")


def test_scores_written_while_compared_appear_on_refresh(view, runs):
    assert not view.quality_plot.isVisible()
    write_scores(runs["gamma"], [(2, 12.0, 0.99, 0.9, 0.8)])
    assert view.refresh() is True
    assert view.quality_plot.isVisible()
    assert view.quality_plot.series_keys() == [f"{runs['gamma'].id}/quality"]
    assert view.quality_ranking()[0] == runs["gamma"].id
    assert summary_row(view, "Best quality") == ["", "", "12.000"]
