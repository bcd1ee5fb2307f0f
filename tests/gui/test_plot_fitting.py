"""Plots on a small screen: a log axis labels fewer values when it is short and its labels never
overlap; titles and axis labels that do not fit end in "…" with the full text as their tooltip; a
legend that would bury the curves hides."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage, QPainter

from workbench.gui.plots.axes import DECADE_STEPS, LABEL_GAP, decade_steps
from workbench.gui.plots.loss_plot import LossPlot
from workbench.gui.plots.quality_widgets import ClassHistogram, QualityPlot

SCORED = [{"epoch": e, "quality": 90.0 / e ** 1.5, "class_balance": 0.8} for e in range(1, 7)]  # 90 down to 6


def tick_labels(axis) -> list:
    """(rect, text) of the tick labels the axis draws now."""
    image = QImage(10, 10, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    try:
        _axis, _ticks, texts = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [(rect, text) for rect, _flags, text in texts]


def shown_plot(qtbot, plot, width: int, height: int):
    qtbot.addWidget(plot)
    plot.resize(width, height)
    plot.show()
    qtbot.waitExposed(plot)
    return plot


def test_fewer_values_between_decades_as_the_axis_shortens():
    label = 14.0
    chosen = [decade_steps(pixels, label) for pixels in (1000, 200, 120, 80, 40, 10)]
    assert chosen[0] == DECADE_STEPS[0] and chosen[-1] == ()
    assert [len(c) for c in chosen] == sorted((len(c) for c in chosen), reverse=True)
    for pixels, steps in zip((1000, 200, 120, 80, 40), chosen):
        marks = np.log10((1, *steps, 10)) * pixels
        assert np.diff(marks).min() >= label + LABEL_GAP


def test_a_short_quality_plot_labels_its_log_axis_without_overlaps(qtbot):
    counts = {}
    for height in (150, 420):
        plot = shown_plot(qtbot, QualityPlot(), 360, height)
        plot.set_epochs(SCORED)
        labels = tick_labels(plot.plot_widget.getPlotItem().getAxis("left"))
        assert len(labels) >= 2, labels
        for i, (rect, text) in enumerate(labels):
            for other, other_text in labels[i + 1:]:
                assert not rect.intersects(other), f"{text!r} overlaps {other_text!r} at height {height}"
        assert all(not text.startswith("1e") and "·" not in text for _rect, text in labels)  # "20", not "2·10¹"
        counts[height] = len(labels)
    assert counts[150] < counts[420]


def test_a_title_that_does_not_fit_is_elided_with_the_full_text_as_tooltip(qtbot):
    title = "Image quality per epoch (Fréchet score, log scale: lower is better)"
    plot = shown_plot(qtbot, LossPlot(title=title), 900, 300)
    label = plot.title_label
    assert label.text() == title and label.toolTip() == ""
    plot.resize(240, 300)
    qtbot.waitUntil(lambda: label.text() != title)
    assert label.text().endswith("…") and label.toolTip() == title and label.full_text() == title
    assert label.fontMetrics().horizontalAdvance(label.text()) <= label.contentsRect().width()
    plot.resize(900, 300)
    qtbot.waitUntil(lambda: label.text() == title)
    assert label.toolTip() == ""


def test_an_axis_label_longer_than_its_axis_is_elided_with_the_full_label_as_tooltip(qtbot):
    histogram = shown_plot(qtbot, ClassHistogram(), 300, 150)
    axis = histogram.plot_widget.getPlotItem().getAxis("left")
    assert axis.full_label() == "share of samples"
    qtbot.waitUntil(lambda: axis.shown_label() != axis.full_label())
    assert axis.shown_label().endswith("…") and axis.label.toolTip() == "share of samples"
    histogram.resize(300, 500)
    qtbot.waitUntil(lambda: axis.shown_label() == "share of samples")
    assert axis.label.toolTip() == ""


def test_a_legend_that_would_cover_the_curves_hides_until_there_is_room(qtbot):
    plot = shown_plot(qtbot, LossPlot(title="Losses"), 500, 600)
    for i in range(6):
        plot.set_series(f"run{i}/d", [1, 2, 3], [1.0, 0.8, 0.7], "#1f77b4", name=f"run number {i} D")
    qtbot.waitUntil(lambda: plot.legend.isVisible())
    plot.resize(500, 200)
    qtbot.waitUntil(lambda: not plot.legend.isVisible())
    plot.resize(500, 600)
    qtbot.waitUntil(lambda: plot.legend.isVisible())
