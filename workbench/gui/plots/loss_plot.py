"""LossPlot: named line series over epochs with smoothing, legend and a hover read-out.

One PlotDataItem per series, updated with setData (pyqtgraph's fast path); raw values are kept
so the smoothing weight can change at any time. Reused by the live view and the compare view.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from workbench.core.evaluation.marks import format_score
from workbench.core.outputs.smoothing import ema
from workbench.gui.layout import ElidedLabel, Panel
from workbench.gui.plots.axes import plot_widget

FAINT_ALPHA = 70
LEGEND_MAX_SHARE = 0.35  # a legend covering more of the plot area than this would bury the curves: hidden
TITLE_STYLE = "background: white; color: #333; font-size: 10pt; padding: 3px 2px 0 2px;"
MARK_COLOR = QColor(110, 110, 110, 120)  # reference marks: faint grey, dashed
MARK_POINT_SIZE = 7.5
MARK_LABEL_FILL = (255, 255, 255, 170)  # words stay legible over a curve or the grid


class _Series:
    __slots__ = ("item", "x", "y", "faint", "name", "color")

    def __init__(self, item, x, y, faint, name, color):
        self.item, self.x, self.y, self.faint, self.name, self.color = item, x, y, faint, name, color


class LossPlot(Panel):
    """A pyqtgraph plot of series keyed by name; x is in (fractional) epochs. The title is a label
    above the plot (`title_label`), shortened with "…" when the plot is narrow; the legend hides
    when the plot is too small to show it beside the curves (the hover read-out names them too)."""

    def __init__(self, parent=None, y_label: str = "loss", title: str | None = None, log_y: bool = False):
        super().__init__(parent)
        self._series: dict[str, _Series] = {}
        self._mark_lines: list[pg.InfiniteLine] = []
        self._weight = 0.0
        self._log_y = log_y
        self.plot_widget = plot_widget(self)
        self.title_label = ElidedLabel(title or "", self)
        self.title_label.setObjectName("plotTitle")
        self.title_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title_label.setStyleSheet(TITLE_STYLE)
        self.title_label.setVisible(bool(title))
        item = self.plot_widget.getPlotItem()
        item.setLogMode(y=log_y)
        item.setLabel("bottom", "epoch")
        item.setLabel("left", y_label)
        item.showGrid(x=True, y=True, alpha=0.2)
        item.setClipToView(True)
        item.setDownsampling(auto=True, mode="peak")
        self.legend = item.addLegend(offset=(-10, 10), labelTextColor="#222")
        item.vb.sigResized.connect(self.fit_legend)
        self._cursor = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#888", style=Qt.PenStyle.DotLine))
        self._cursor.setVisible(False)
        item.addItem(self._cursor, ignoreBounds=True)

        self.hover_label = QLabel(" ", self)
        self.hover_label.setObjectName("hoverLabel")
        self.hover_label.setTextFormat(Qt.TextFormat.RichText)
        self.hover_label.setStyleSheet("color: #444;")
        self.hover_label.setWordWrap(True)  # many series: wrap, never widen the window
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.title_label)
        layout.addWidget(self.plot_widget, 1)
        layout.addWidget(self.hover_label)
        self.plot_widget.scene().sigMouseMoved.connect(self._on_mouse_moved)

    # ---- series ------------------------------------------------------------------------
    def set_series(self, key: str, x, y, color, dashed: bool = False, markers: bool = False,
                   faint: bool = False, name: str | None = None) -> None:
        """Create the series on first call, then replace its data (styles are fixed at creation)."""
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        series = self._series.get(key)
        if series is None:
            qcolor = QColor(pg.mkColor(color))
            if faint:
                qcolor.setAlpha(FAINT_ALPHA)
            pen = pg.mkPen(qcolor, width=1 if faint else 2,
                           style=Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine)
            kwargs = {}
            if markers:
                kwargs = dict(symbol="o", symbolSize=6, symbolBrush=qcolor, symbolPen=qcolor)
            item = self.plot_widget.plot([], [], pen=pen, name=name, **kwargs)
            if faint:
                item.setZValue(-10)
            series = _Series(item, x, y, faint, name, qcolor)
            self._series[key] = series
            self.fit_legend()
        series.x, series.y = x, y
        self._redraw(series)

    def remove_series(self, key: str) -> None:
        series = self._series.pop(key, None)
        if series is not None:
            self.plot_widget.getPlotItem().removeItem(series.item)
            self.fit_legend()

    def set_series_visible(self, key: str, visible: bool) -> None:
        series = self._series.get(key)
        if series is not None:
            series.item.setVisible(visible)

    def fit_legend(self) -> None:
        """Show the legend only when it leaves most of the plot area to the curves."""
        area = self.plot_widget.getPlotItem().vb.size()
        legend = self.legend.boundingRect().size()
        self.legend.setVisible(legend.height() <= 0.9 * area.height() and legend.width() <= 0.9 * area.width()
                               and legend.width() * legend.height() <= LEGEND_MAX_SHARE * area.width() * area.height())

    def series_keys(self) -> list[str]:
        return list(self._series)

    def series_data(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """What is drawn for `key` (smoothed when smoothing applies)."""
        x, y = self._series[key].item.getData()
        return (np.array([]) if x is None else x), (np.array([]) if y is None else y)

    def set_smoothing(self, weight: float) -> None:
        """EMA weight in [0, 1) for every non-faint series; 0 shows raw values."""
        self._weight = float(weight)
        for series in self._series.values():
            if not series.faint:
                self._redraw(series)

    def smoothing(self) -> float:
        return self._weight

    def clear(self) -> None:
        for key in list(self._series):
            self.remove_series(key)
        self.set_reference_marks([])
        self.hover_label.setText(" ")
        self._cursor.setVisible(False)

    def _redraw(self, series: _Series) -> None:
        y = series.y if series.faint or self._weight <= 0 else ema(series.y, self._weight)
        series.item.setData(series.x, y)

    def set_epoch_marker(self, epoch: float | None, label: str = "") -> None:
        """One labelled vertical line at `epoch` (a fork's epoch when comparing with its parent);
        None removes it."""
        item = self.plot_widget.getPlotItem()
        if getattr(self, "epoch_marker", None) is not None:
            item.removeItem(self.epoch_marker)
        self.epoch_marker = None
        if epoch is not None:
            self.epoch_marker = pg.InfiniteLine(pos=epoch, angle=90, movable=False, label=label,
                                                pen=pg.mkPen(MARK_COLOR, width=2, style=Qt.PenStyle.DashLine),
                                                labelOpts={"position": 0.95, "color": "#555"})
            item.addItem(self.epoch_marker)

    # ---- reference marks ---------------------------------------------------------------
    def set_reference_marks(self, marks) -> None:
        """Faint dashed horizontal lines at `marks` (objects with `name` and `score`, e.g. the
        score's reference marks), each labelled with its name and value, at the left and right
        ends in turn (the one nearest the legend's corner at the other end), on the side of its line
        away from the curves' ends there; replaces the previous ones. The lines count in the y
        range, so the marks shown are in view."""
        marks = sorted((m for m in marks if m.score > 0 or not self._log_y), key=lambda m: m.score)
        if [line.mark for line in self._mark_lines] != marks:
            self._draw_mark_lines(marks)
        self._place_mark_labels()  # the curves move while training: follow them

    def _draw_mark_lines(self, marks) -> None:
        item = self.plot_widget.getPlotItem()
        for line in self._mark_lines:
            item.removeItem(line)
        self._mark_lines = []
        pen = pg.mkPen(MARK_COLOR, width=1, style=Qt.PenStyle.DashLine)
        font = QFont(self.font())
        font.setPointSizeF(MARK_POINT_SIZE)
        # neighbours label at opposite ends, so close lines keep their words apart; the mark next to
        # the legend's corner (top or bottom) labels at the other end from it
        ox, oy = self.legend.opts.get("offset") or (-10, 10)
        for i, mark in enumerate(marks):
            y = math.log10(mark.score) if self._log_y else mark.score  # a log axis places items at log10
            from_corner = len(marks) - 1 - i if oy > 0 else i
            right = (from_corner % 2 == 0) == (ox > 0)
            line = pg.InfiniteLine(pos=y, angle=0, movable=False, pen=pen,
                                   label=f"{mark.name} ({format_score(mark.score)})",
                                   labelOpts={"position": 0.99 if right else 0.01, "color": "#777",
                                              "fill": MARK_LABEL_FILL})
            line.label.setFont(font)
            line.mark, line.right = mark, right
            line.setZValue(-20)
            item.addItem(line)
            self._mark_lines.append(line)

    def _place_mark_labels(self) -> None:
        """Each label above its line, unless the nearest curve end on its side is above it; at
        the bottom or top of the plot, inside it."""
        ends = {True: [], False: []}
        shown = [line.value() for line in self._mark_lines]
        for series in self._series.values():
            if not series.faint and series.item.isVisible():
                _, ys = series.item.getData()
                if ys is not None and len(ys) and np.isfinite(ys[0]) and np.isfinite(ys[-1]):
                    ends[False].append(float(ys[0]))
                    ends[True].append(float(ys[-1]))
                    shown += [float(v) for v in ys if np.isfinite(v)]
        low, high = (min(shown), max(shown)) if shown else (0.0, 1.0)
        edge = 0.1 * (high - low)
        for line in self._mark_lines:
            near = min(ends[line.right], key=lambda v: abs(v - line.value()), default=None)
            below = near is not None and near > line.value()
            if line.value() - low < edge or high - line.value() < edge:
                below = high - line.value() < line.value() - low
            x = 1 if line.right else 0
            line.label.anchors = [(x, 0 if below else 1)] * 2
            line.label.updatePosition()

    def reference_marks(self) -> list[tuple[str, float]]:
        """(label, value) of the mark lines drawn, lowest first (value as given, not log10)."""
        return [(line.label.toPlainText(), line.mark.score) for line in self._mark_lines]

    # ---- hover -------------------------------------------------------------------------
    def _on_mouse_moved(self, pos) -> None:
        item = self.plot_widget.getPlotItem()
        if not item.sceneBoundingRect().contains(pos):
            self._cursor.setVisible(False)
            return
        x = item.vb.mapSceneToView(pos).x()
        self.show_values_at(x)

    def show_values_at(self, x: float) -> str:
        """Put the values of the visible named series nearest to epoch `x` in the read-out."""
        parts = []
        for series in self._series.values():
            if series.faint or not series.item.isVisible():
                continue
            xs, ys = series.item.getData()
            if xs is None or len(xs) == 0:
                continue
            i = int(np.clip(np.searchsorted(xs, x), 0, len(xs) - 1))
            if i > 0 and abs(xs[i - 1] - x) < abs(xs[i] - x):
                i -= 1
            value = 10.0 ** ys[i] if self._log_y else ys[i]
            text = "nan" if not math.isfinite(value) else f"{value:.4g}"
            label = series.name or "?"
            parts.append(f"<span style='color:{series.color.name()}'>■</span> {label} "
                         f"<b>{text}</b> <span style='color:#888'>@ {xs[i]:g}</span>")
        self._cursor.setPos(x)
        self._cursor.setVisible(bool(parts))
        text = f"epoch {x:.2f}:&nbsp; " + "&nbsp;&nbsp; ".join(parts) if parts else " "
        self.hover_label.setText(text)
        return text


class SmoothingControl(QWidget):
    """A 0..0.99 slider for the EMA weight, with its value shown beside it."""

    weight_changed = Signal(float)

    def __init__(self, parent=None, weight: float = 0.0):
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setObjectName("smoothingSlider")
        self.slider.setRange(0, 99)
        self.slider.setToolTip("Exponential moving average of the epoch curves (0 = raw values)")
        self.value_label = QLabel(self)
        self.value_label.setMinimumWidth(32)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Smoothing", self))
        row.addWidget(self.slider, 1)
        row.addWidget(self.value_label)
        self.slider.valueChanged.connect(self._on_value)
        self.set_weight(weight)
        self._on_value(self.slider.value())

    def weight(self) -> float:
        return self.slider.value() / 100.0

    def set_weight(self, weight: float) -> None:
        self.slider.setValue(int(round(min(max(float(weight), 0.0), 0.99) * 100)))

    def _on_value(self, value: int) -> None:
        self.value_label.setText(f"{value / 100:.2f}")
        self.weight_changed.emit(value / 100.0)
