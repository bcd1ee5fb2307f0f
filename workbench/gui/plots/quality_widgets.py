"""What the quality measures look like in the window: the quality plot (Fréchet score on a log
axis, class balance on a 0–1 axis at the right, every score of the epoch under the mouse in its
tooltip), the class histogram of generated samples, and the "possible mode collapse" badge.
Shared by the training tab, the Runs tab and the compare view; they only show numbers the core
computed."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout

from workbench.core.evaluation.class_balance import (
    CollapseThresholds,
    class_name,
    collapse_reason,
)
from workbench.core.evaluation.marks import around, marks_for_epochs
from workbench.gui.layout import Panel
from workbench.gui.plots.axes import plot_widget
from workbench.gui.plots.colours import BALANCE_COLOR, QUALITY_COLOR
from workbench.gui.plots.loss_plot import LossPlot

QUALITY_LABEL = "Fréchet score"


def scores_tooltip(entry: dict) -> str:
    """An evaluated epoch's scores in words, fidelity and diversity apart (plain text)."""
    def number(key: str) -> str:
        value = entry.get(key)
        return f"{value:.3f}" if isinstance(value, (int, float)) else "–"

    lines = [f"Epoch {entry.get('epoch')}: Fréchet score {number('quality')} (lower is better)"]
    if isinstance(entry.get("precision"), (int, float)):
        lines += [f"precision {number('precision')} · density {number('density')}: how real the samples look",
                  f"recall {number('recall')} · coverage {number('coverage')}: how much of the real images they "
                  f"cover"]
    else:
        lines.append("precision, recall, density, coverage: not measured for this epoch")
    lines.append(f"class balance {number('class_balance')} (1 = every class equally often)")
    if isinstance(entry.get("class_accuracy"), (int, float)):
        lines.append(f"class accuracy {number('class_accuracy')}: samples drawn for a class that show it · "
                     f"intra-class Fréchet score {number('intra_quality')}")
    return "\n".join(lines)


class QualityPlot(LossPlot):
    """Fréchet score per epoch (log scale, left axis) and class balance (0–1, right axis), with
    the reference marks of the classifier that scored them around the scores (faint lines); the
    tooltip holds all the scores of the epoch nearest the mouse."""

    def __init__(self, parent=None, title: str | None = "Image quality (Fréchet score: lower is better)"):
        super().__init__(parent, y_label=QUALITY_LABEL, title=title, log_y=True)
        item = self.plot_widget.getPlotItem()
        self._balance_box = pg.ViewBox()
        item.showAxis("right")
        item.scene().addItem(self._balance_box)
        item.getAxis("right").linkToView(self._balance_box)
        item.getAxis("right").setLabel("class balance")
        item.getAxis("right").setLogMode(False)  # the plot's log mode is for the score only
        self._balance_box.setXLink(item)
        self._balance_box.setYRange(0, 1.02, padding=0)
        self._balance_box.setMouseEnabled(x=False, y=False)
        self._balance = pg.PlotDataItem([], [], pen=pg.mkPen(BALANCE_COLOR, width=2, style=Qt.PenStyle.DashLine),
                                        symbol="t", symbolSize=6, symbolBrush=BALANCE_COLOR, symbolPen=BALANCE_COLOR)
        self._balance_box.addItem(self._balance)
        self.legend.addItem(self._balance, "class balance")
        self._scored: list[dict] = []
        # one row at the bottom left, where a falling score leaves room: the top and the right
        # hold the class balance line and the reference marks' words
        self.legend.setColumnCount(2)
        self.legend.setOffset((10, -10))
        item.vb.sigResized.connect(self._sync_boxes)

    def set_epochs(self, epochs: list[dict]) -> None:
        """Draw the epochs (metrics entries) that carry scores; others are skipped."""
        self._scored = [e for e in epochs if isinstance(e.get("quality"), (int, float))]
        x = [e["epoch"] for e in self._scored]
        self.set_series("quality", x, [max(e["quality"], 1e-6) for e in self._scored], QUALITY_COLOR,
                        markers=True, name="Fréchet score")
        self._balance.setData(x, [e.get("class_balance", np.nan) for e in self._scored])
        self.set_reference_marks(around([e["quality"] for e in self._scored], marks_for_epochs(epochs)))

    def class_balance_data(self) -> tuple[np.ndarray, np.ndarray]:
        x, y = self._balance.getData()
        return (np.array([]) if x is None else x), (np.array([]) if y is None else y)

    def show_values_at(self, x: float) -> str:
        """The read-out, and the scores of the evaluated epoch nearest `x` as the tooltip."""
        nearest = min(self._scored, key=lambda e: abs(e["epoch"] - x), default=None)
        self.plot_widget.setToolTip(scores_tooltip(nearest) if nearest else "")
        return super().show_values_at(x)

    def clear(self) -> None:
        super().clear()
        self._scored = []
        self._balance.setData([], [])
        self.plot_widget.setToolTip("")

    def _sync_boxes(self) -> None:
        self._balance_box.setGeometry(self.plot_widget.getPlotItem().vb.sceneBoundingRect())


class ClassHistogram(Panel):
    """Bars of how often each class was predicted for the generated samples of one epoch. A click
    on a bar's column emits `class_clicked(class index)`."""

    class_clicked = Signal(int)

    def __init__(self, parent=None, dataset: str = "mnist"):
        super().__init__(parent)
        self.dataset = dataset
        self.plot_widget = plot_widget(self)
        item = self.plot_widget.getPlotItem()
        item.setMouseEnabled(x=False, y=False)
        item.hideButtons()
        item.setLabel("left", "share of samples")
        item.getAxis("left").enableAutoSIPrefix(False)  # not "(x0.001)" with shares below 1
        item.getAxis("bottom").setTicks([[(i, str(i)) for i in range(10)]])
        self._bars = pg.BarGraphItem(x=np.arange(10), height=np.zeros(10), width=0.7, brush=QUALITY_COLOR)
        item.addItem(self._bars)
        self._even = item.addLine(y=0.1, pen=pg.mkPen("#888", style=Qt.PenStyle.DotLine))  # an even share
        item.setYRange(0, 0.5, padding=0)
        self.caption = QLabel(" ", self)
        self.caption.setObjectName("classHistogramCaption")
        self.caption.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.caption)
        layout.addWidget(self.plot_widget, 1)
        self._hist: list[int] = []
        item.scene().sigMouseClicked.connect(self._on_scene_clicked)
        self.clear()

    def bar_at(self, scene_pos) -> int | None:
        """The class whose bar's column holds the scene point, or None (off the bars, no histogram)."""
        box = self.plot_widget.getPlotItem().vb
        if not self._hist or not box.sceneBoundingRect().contains(scene_pos):
            return None
        index = round(box.mapSceneToView(scene_pos).x())
        return index if 0 <= index < len(self._hist) else None

    def _on_scene_clicked(self, event) -> None:
        index = self.bar_at(event.scenePos())
        if index is not None and event.button() == Qt.MouseButton.LeftButton:
            self.class_clicked.emit(index)

    def set_click_hint(self, text: str) -> None:
        """Say (tooltip, pointing hand) what clicking a bar does, where something listens."""
        self.plot_widget.setToolTip(text)
        self.plot_widget.setCursor(Qt.CursorShape.PointingHandCursor)

    def set_entry(self, entry: dict | None) -> None:
        """Show an epoch's metrics entry's class histogram, or say that it has none."""
        hist = (entry or {}).get("class_hist")
        if not hist:
            epoch = (entry or {}).get("epoch")
            self.clear(f"No class histogram for epoch {epoch} (evaluation was off)" if epoch else None)
            return
        self._hist = [int(c) for c in hist]
        total = max(sum(self._hist), 1)
        shares = np.asarray(self._hist, dtype=float) / total
        self._bars.setOpts(x=np.arange(len(shares)), height=shares)
        item = self.plot_widget.getPlotItem()
        item.setYRange(0, max(0.5, float(shares.max()) * 1.1), padding=0)
        item.getAxis("bottom").setTicks([[(i, str(i)) for i in range(len(shares))]])
        self._even.setPos(1 / len(shares))
        top = int(shares.argmax())
        judged = entry.get("classifier_accuracy")
        self.caption.setText(f"<b>Predicted classes</b>, epoch {entry.get('epoch')}: class balance "
                             f"{entry.get('class_balance', 0):.2f}, most often {class_name(self.dataset, top)} "
                             f"({shares[top]:.0%})" + (f"<br>judged by a classifier {judged:.1%} accurate on "
                                                       f"held-out images" if isinstance(judged, (int, float)) else ""))

    def histogram(self) -> list[int]:
        return list(self._hist)

    def clear(self, text: str | None = None) -> None:
        self._hist = []
        self._bars.setOpts(x=np.arange(10), height=np.zeros(10))
        self.caption.setText(text or "<b>Predicted classes</b> of the samples appear with evaluation on")


class CollapseBadge(QLabel):
    """A red banner with the reason, visible only when the shown epoch looks collapsed."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("collapseBadge")
        self.setWordWrap(True)
        self.setStyleSheet("QLabel { background: #fdecea; color: #a61b1b; border: 1px solid #e6a5a5; "
                           "border-radius: 4px; padding: 4px 8px; font-weight: bold; }")
        self.reason: str | None = None
        self.hide()

    def set_entry(self, entry: dict | None, dataset: str = "mnist",
                  thresholds: CollapseThresholds | None = None) -> None:
        hist = (entry or {}).get("class_hist")
        self.reason = collapse_reason(hist, thresholds or CollapseThresholds.from_settings(), dataset) if hist else None
        if self.reason:
            limits = thresholds or CollapseThresholds.from_settings()
            self.setText(f"⚠ Possible mode collapse: {self.reason}")
            self.setToolTip(f"Flagged when class balance is below {limits.min_class_balance:.2f} or one class "
                            f"takes more than {limits.max_share:.0%} of samples (Settings → Mode-collapse "
                            f"thresholds).")
        self.setVisible(bool(self.reason))
