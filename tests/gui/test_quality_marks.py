"""The score's reference marks on the quality plots: faint labelled lines in the training tab,
the Runs tab's details and the compare view, at the marks' values on the log axis, only the
marks near the scores (within a factor of 2), and none when the scores come from different
classifiers."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from helpers.browser_runs import populate, quiet_browser
from workbench.core.evaluation import marks as marks_module
from workbench.gui.plots.loss_plot import LossPlot

NAME = "mnist-v3-test-0001"
MARKS = [("real", "real images", 0.1), ("blur-0.5", "real, blurred σ 0.5", 3.0),
         ("quadrant", "one quadrant swapped", 6.0), ("blur-1", "real, blurred σ 1", 30.0),
         ("noise", "uniform noise", 1500.0)]


@pytest.fixture
def cached_marks(isolated_home):
    """Marks of a classifier named NAME, as the registry caches them."""
    path = marks_module.cached_marks_path(NAME)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"format": marks_module.FORMAT, "classifier": NAME, "samples": 2000,
                                "marks": [{"id": i, "name": n, "score": s} for i, n, s in MARKS]}))
    return NAME


def labels(plot) -> list[str]:
    return [label for label, _ in plot.reference_marks()]


def test_mark_lines_sit_at_log10_of_their_value_with_their_names(qtbot):
    plot = LossPlot(y_label="score", log_y=True)
    qtbot.addWidget(plot)
    plot.set_series("q", [1, 2], [4.0, 5.0], "#000")
    plot.set_reference_marks([marks_module.Mark(i, n, s) for i, n, s in MARKS[1:3]])
    assert labels(plot) == ["real, blurred σ 0.5 (3)", "one quadrant swapped (6)"]
    assert [line.value() for line in plot._mark_lines] == pytest.approx([math.log10(3.0), math.log10(6.0)])
    assert [line.right for line in plot._mark_lines] == [True, False]  # the highest away from the legend's corner
    low, high = plot.plot_widget.getPlotItem().vb.viewRange()[1]
    assert low <= math.log10(3.0) and high >= math.log10(6.0)  # the marks shown are in view
    linear = LossPlot()
    qtbot.addWidget(linear)
    linear.set_reference_marks([marks_module.Mark("a", "a mark", 2.5)])
    assert linear._mark_lines[0].value() == pytest.approx(2.5)
    plot.clear()
    assert plot.reference_marks() == []


def test_training_tab_quality_plot_draws_the_marks_around_its_scores(qtbot, view, cached_marks):
    live = view.live_view
    live.set_evaluating(True)
    entries = [{"epoch": e, "d_loss": 1.0, "g_loss": 1.0, "d_real": 0.6, "d_fake": 0.4, "quality": q,
                "coverage": 1.0, "class_hist": [30] * 10, "classifier_key": cached_marks}
               for e, q in ((1, 20.0), (2, 4.0))]
    live.load_history(entries, {e: np.zeros((30, 30), np.uint8) for e in (1, 2)})
    live.flush()
    # 4 to 20: the marks from 2 to 40
    assert labels(live.quality_plot) == ["real, blurred σ 0.5 (3)", "one quadrant swapped (6)",
                                         "real, blurred σ 1 (30)"]


def test_runs_details_and_compare_view_draw_the_marks_of_the_runs_classifier(qtbot, monkeypatch, isolated_home,
                                                                             cached_marks):
    from workbench.gui.compare.view import CompareView

    runs = populate(isolated_home)
    for name, quality in (("alpha", 2.0), ("beta", 8.0)):
        runs[name].update_epoch_metrics(2, {"quality": quality, "coverage": 1.0, "class_hist": [30] * 10,
                                            "classifier_key": cached_marks, "classifier_version": 3})
    browser = quiet_browser(qtbot, monkeypatch, 300)
    browser.select_runs([runs["alpha"].id])
    assert labels(browser.details.quality.plot) == ["real, blurred σ 0.5 (3)"]  # within a factor 2 of 2.0

    compare = CompareView([runs["alpha"], runs["beta"]])
    qtbot.addWidget(compare)
    assert labels(compare.quality_plot) == ["real, blurred σ 0.5 (3)", "one quadrant swapped (6)"]
    runs["beta"].update_epoch_metrics(2, {"classifier_key": "another-classifier"})
    other = CompareView([runs["alpha"], runs["beta"]])
    qtbot.addWidget(other)
    assert other.quality_plot.reference_marks() == []  # lines would mean two things for two curves
