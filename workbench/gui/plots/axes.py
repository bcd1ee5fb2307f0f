"""Plots that give way on a small screen instead of garbling: axes whose tick labels never overlap
(a log axis labels fewer of the values between decades when the axis is short) and whose label is
shortened with "…" to the axis' length, the full label then its tooltip; `plot_widget` builds a
PlotWidget of them with a minimum size below which a plot no longer reads."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFontMetricsF

#: the plot area, axes included, below which ticks and labels no longer fit
MIN_PLOT_SIZE = QSize(200, 100)
LABEL_GAP = 2  # px kept free between two tick labels
#: the values labelled between two decades, densest first: the first set whose closest labels
#: are apart by at least a label's height is used (1 and 10 are the decades themselves)
DECADE_STEPS = ((2, 3, 4, 5, 6, 7, 8, 9), (2, 3, 5), (2, 5), (3,), ())
#: a log axis writes its values as plain numbers in this range ("20"), beyond it as powers of ten
PLAIN_NUMBERS = (1e-3, 1e5)


def decade_steps(pixels_per_decade: float, label_size: float) -> tuple[int, ...]:
    """The values between decades that can be labelled without overlapping (see DECADE_STEPS)."""
    for steps in DECADE_STEPS:
        marks = np.log10((1, *steps, 10))
        if float(np.diff(marks).min()) * pixels_per_decade >= label_size + LABEL_GAP:
            return steps
    return ()


def without_overlaps(text_specs: list) -> list:
    """pyqtgraph's tick label specs (rect, flags, text), most important first, dropping every label
    that would overlap one already kept."""
    kept = []
    for spec in text_specs:
        rect = spec[0].adjusted(-LABEL_GAP / 2, -LABEL_GAP / 2, LABEL_GAP / 2, LABEL_GAP / 2)
        if not any(rect.intersects(other[0]) for other in kept):
            kept.append(spec)
    return kept


class FittingAxis(pg.AxisItem):
    """An AxisItem that fits its length: no overlapping tick labels, an elided label."""

    def label_extent(self) -> float:
        """A tick label's size along the axis, in pixels."""
        metrics = QFontMetricsF(self.style["tickFont"] or self.font())
        if self.orientation in ("left", "right"):
            return metrics.height()
        return metrics.horizontalAdvance("0.005")

    # ---- ticks -------------------------------------------------------------------------
    def logTickValues(self, minVal, maxVal, size, stdTicks):
        """pyqtgraph's, with only as many values between the decades labelled as fit."""
        ticks = [(spacing, values) for spacing, values in stdTicks if spacing >= 1.0]
        if len(ticks) >= 3 or maxVal <= minVal:
            return ticks
        steps = decade_steps(size / (maxVal - minVal), self.label_extent())
        taken = {round(x, 9) for _spacing, values in ticks for x in values}
        minor = [decade + math.log10(step) for decade in range(math.floor(minVal), math.ceil(maxVal))
                 for step in (1, *steps)]
        ticks.append((None, [x for x in minor if minVal < x < maxVal and round(x, 9) not in taken]))
        return ticks

    def logTickStrings(self, values, scale, spacing):
        """Plain numbers ("5", "20", "300") where they read better than powers of ten."""
        numbers = 10 ** np.asarray(values, dtype=float) * scale
        low, high = PLAIN_NUMBERS
        if all(low <= n < high for n in numbers):
            return [f"{n:g}" for n in numbers]
        return super().logTickStrings(values, scale, spacing)

    def generateDrawSpecs(self, p):
        specs = super().generateDrawSpecs(p)
        if specs is None:
            return None
        axis_spec, tick_specs, text_specs = specs
        return axis_spec, tick_specs, without_overlaps(text_specs)

    # ---- the axis label ------------------------------------------------------------------
    def labelString(self) -> str:
        """The label, elided to the axis' length; the full label is then the tooltip."""
        full = self.labelText
        vertical = self.orientation in ("left", "right")
        length = self.size().height() if vertical else self.size().width()
        shown = full
        if full and length > 0:
            shown = QFontMetricsF(self.label.font()).elidedText(full, Qt.TextElideMode.ElideRight, length - 8)
        self.label.setToolTip(full if shown != full else "")
        self.labelText = shown
        try:
            return super().labelString()
        finally:
            self.labelText = full

    def resizeEvent(self, ev=None):
        if self.labelText:
            self.label.setHtml(self.labelString())
        super().resizeEvent(ev)

    def full_label(self) -> str:
        return self.labelText

    def shown_label(self) -> str:
        return self.label.toPlainText().strip()


def plot_widget(parent=None, minimum: QSize = MIN_PLOT_SIZE) -> pg.PlotWidget:
    """A white PlotWidget whose left, bottom and right axes are FittingAxis, at least `minimum`."""
    axes = {side: FittingAxis(side) for side in ("left", "bottom", "right")}
    widget = pg.PlotWidget(parent, background="w", axisItems=axes)
    widget.getPlotItem().hideAxis("right")  # given axes show; the right one only when asked for
    widget.setMinimumSize(minimum)
    return widget
