"""The quality half of a run's details: Fréchet score and class balance per epoch (every score
in the plot's tooltip), the class histogram and collapse badge of the epoch the grid shows, and
the stored discriminator report.

Only reads what evaluation stored (metrics.jsonl, discriminator.json): no torch here.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QStackedWidget, QVBoxLayout, QWidget

from workbench.core.evaluation.stored import (
    describe_memorisation,
    stored_discriminator_report,
    stored_memorisation,
)
from workbench.core.store.runs import Run
from workbench.gui.layout import Panel
from workbench.gui.plots.axes import plot_widget
from workbench.gui.plots.colours import FAKE_COLOR, REAL_COLOR
from workbench.gui.plots.quality_widgets import (
    ClassHistogram,
    CollapseBadge,
    QualityPlot,
)

NOT_EVALUATED = "Not evaluated yet — press Evaluate"
NEAR_COPIES_HINT = "<b>Near-copies</b>: click a sample or a bar"
NEAR_COPIES_TIP = ("A click on a grid sample or a class bar shows that class's samples beside their nearest "
                   "training images; the share of samples nearer a training image than 95% of held-out images "
                   "are is then stored with the epoch (also `gan-workbench evaluate RUN --neighbours`).")


class DiscriminatorReportView(Panel):
    """D's outputs on real test images and on as many generated ones, as side-by-side bars per
    bin, under the line "precision · recall · F1 at threshold 0.5"."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.summary = QLabel(NOT_EVALUATED, self)
        self.summary.setObjectName("discriminatorSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.plot_widget = plot_widget(self)
        item = self.plot_widget.getPlotItem()
        item.setMouseEnabled(x=False, y=False)
        item.hideButtons()
        item.setLabel("bottom", "D output (probability of real)")
        item.setLabel("left", "share of images")
        item.getAxis("left").enableAutoSIPrefix(False)
        item.setXRange(0, 1, padding=0.02)
        legend = item.addLegend(offset=(10, 10), labelTextColor="#222")
        self.real_bars = pg.BarGraphItem(x=[], height=[], width=0.02, brush=REAL_COLOR, pen=None)
        self.fake_bars = pg.BarGraphItem(x=[], height=[], width=0.02, brush=FAKE_COLOR, pen=None)
        item.addItem(self.real_bars)
        item.addItem(self.fake_bars)
        legend.addItem(self.real_bars, "real test images")
        legend.addItem(self.fake_bars, "generated")
        item.addLine(x=0.5, pen=pg.mkPen("#888", style=Qt.PenStyle.DotLine))  # the threshold
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(self.plot_widget, 1)
        self.report: dict | None = None
        self.set_report(None)

    def set_report(self, report: dict | None) -> None:
        self.report = report
        self.plot_widget.setVisible(report is not None)
        if report is None:
            self.summary.setText(f"Discriminator report: {NOT_EVALUATED}.")
            self.real_bars.setOpts(x=[], height=[])
            self.fake_bars.setOpts(x=[], height=[])
            return
        edges = np.asarray(report["bins"], dtype=float)
        centers, width = (edges[:-1] + edges[1:]) / 2, float(np.diff(edges).min()) * 0.42
        total = max(int(report.get("samples") or 0), 1)
        real = np.asarray(report["real_hist"], dtype=float) / total
        fake = np.asarray(report["fake_hist"], dtype=float) / total
        self.real_bars.setOpts(x=centers - width / 2, height=real, width=width)
        self.fake_bars.setOpts(x=centers + width / 2, height=fake, width=width)
        self.plot_widget.getPlotItem().setYRange(0, max(float(real.max()), float(fake.max()), 0.05) * 1.05,
                                                 padding=0)
        means = ""
        if isinstance(report.get("mean_real"), (int, float)) and isinstance(report.get("mean_fake"), (int, float)):
            means = f"<br>mean D(x) {report['mean_real']:.3f} · mean D(G(z)) {report['mean_fake']:.3f}"
        self.summary.setText(
            f"<b>Discriminator</b>, epoch {report.get('epoch', '?')}, {report.get('samples', '?')} real test "
            f"images and as many generated:<br>{self.metrics_line(report)}{means}")

    @staticmethod
    def metrics_line(report: dict) -> str:
        return (f"precision {report['precision']:.3f} · recall {report['recall']:.3f} · "
                f"F1 {report['f1']:.3f} at threshold 0.5")


class QualitySection:
    """The quality widgets of the details panel (placed by `RunDetails`) and what they show.
    `plot_area` shows the quality plot, or a line saying there is nothing to plot yet."""

    def __init__(self, parent: QWidget):
        self.plot = QualityPlot(parent)
        self.placeholder = QLabel(f"Image quality: {NOT_EVALUATED}", parent)
        self.placeholder.setObjectName("qualityPlaceholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setStyleSheet("color: #777;")
        self.plot_area = QStackedWidget(parent)
        self.plot_area.addWidget(self.placeholder)
        self.plot_area.addWidget(self.plot)
        self.histogram = ClassHistogram(parent)
        self.badge = CollapseBadge(parent)
        self.report_view = DiscriminatorReportView(parent)
        self.near_copies = QLabel(parent)
        self.near_copies.setObjectName("nearCopies")
        self.near_copies.setWordWrap(True)
        self.near_copies.setToolTip(NEAR_COPIES_TIP)
        self._entries: dict[int, dict] = {}
        self._epochs: dict[int, dict] = {}
        self._dataset = "mnist"
        self.shown_epoch: int | None = None
        self.clear()

    def clear(self) -> None:
        self._entries, self._epochs, self.shown_epoch = {}, {}, None
        self.near_copies.setText(NEAR_COPIES_HINT)
        self.plot.clear()
        self.plot_area.setCurrentWidget(self.placeholder)
        self.histogram.clear(NOT_EVALUATED)
        self.badge.set_entry(None)
        self.report_view.set_report(None)

    def show_run(self, run: Run, epochs: list[dict], dataset: str, shown_epoch: int | None) -> None:
        """Draw `epochs` (the run's metrics entries) and its stored report; follow `shown_epoch`."""
        self._dataset = self.histogram.dataset = dataset
        self._entries = {e["epoch"]: e for e in epochs if isinstance(e.get("quality"), (int, float))}
        self._epochs = {e["epoch"]: e for e in epochs}
        self.plot.set_epochs(epochs)
        self.plot_area.setCurrentWidget(self.plot if self._entries else self.placeholder)
        self.report_view.set_report(stored_discriminator_report(run))
        self.show_epoch(shown_epoch)

    def show_epoch(self, epoch: int | None) -> None:
        """Histogram, badge and near-copies of `epoch` (None: the last evaluated one)."""
        self._show_near_copies(epoch)
        if not self._entries:
            self.histogram.clear(NOT_EVALUATED)
            self.badge.set_entry(None)
            return
        if epoch is None:
            epoch = max(self._entries)
        entry = self._entries.get(epoch)
        if entry is None or not entry.get("class_hist"):
            self.histogram.clear(f"Epoch {epoch} is not evaluated (only epochs with a checkpoint can be); "
                                 f"evaluated: {', '.join(map(str, sorted(self._entries)))}")
        else:
            self.histogram.set_entry(entry)
        self.badge.set_entry(entry, self._dataset)

    def entry(self, epoch: int | None) -> dict:
        """The metrics entry of `epoch` ({} when there is none)."""
        return self._epochs.get(epoch, {}) if epoch is not None else {}

    def _show_near_copies(self, epoch: int | None) -> None:
        self.shown_epoch = epoch if epoch is not None else max(self._entries, default=None)
        stored = stored_memorisation(self.entry(self.shown_epoch))
        if stored is None:
            self.near_copies.setText(NEAR_COPIES_HINT)
            self.near_copies.setToolTip(NEAR_COPIES_TIP)
            return
        self.near_copies.setText(f"<b>Near-copies</b>, epoch {self.shown_epoch}: {stored['ratio']:.1%} of samples "
                                 f"(held-out: {stored['baseline']:.0%})")
        self.near_copies.setToolTip(f"{describe_memorisation(stored, self._dataset)}.\n\n{NEAR_COPIES_TIP}")
