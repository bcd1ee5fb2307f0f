"""The live side of the training tab: loss, D-probability and quality plots, the sample grids
with the class histogram of the shown epoch and the mode-collapse badge, and the Doctor panel
(diagnosed again after every epoch).

Events arrive a few times a second; they only append to arrays here. Drawing happens on a
coalescing timer (at most every REDRAW_MS), so the GUI thread never does per-batch work
beyond a list append, however fast training runs.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from workbench.gui.doctor_panel import DoctorPanel
from workbench.gui.layout import Panel, splitter
from workbench.gui.plots.colours import D_COLOR, FAKE_COLOR, G_COLOR, REAL_COLOR
from workbench.gui.plots.grid_view import EpochGridView
from workbench.gui.plots.loss_plot import LossPlot, SmoothingControl
from workbench.gui.plots.quality_widgets import (
    ClassHistogram,
    CollapseBadge,
    QualityPlot,
)

REDRAW_MS = 500


class LiveView(QWidget):
    """Plots (`lossPlot`, `probPlot`, `qualityPlot`), smoothing, the epoch grid view
    (`gridView`) with the class histogram (`classHistogram`) and collapse badge
    (`collapseBadge`) of the epoch the grid shows, and the Doctor panel (`doctor`) on every
    epoch shown."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.loss_plot = LossPlot(self, y_label="loss", title="Losses")
        self.loss_plot.plot_widget.setObjectName("lossPlot")
        self.prob_plot = LossPlot(self, y_label="probability", title="Discriminator outputs")
        self.prob_plot.plot_widget.setObjectName("probPlot")
        self.prob_plot.plot_widget.setYRange(0, 1, padding=0.02)
        self.smoothing = SmoothingControl(self)
        self.smoothing.setObjectName("smoothingControl")
        self.smoothing.weight_changed.connect(self._on_smoothing)
        self.grid_view = EpochGridView(self)
        self.grid_view.set_placeholder("Samples from fixed noise appear after each epoch")
        self.grid_view.setObjectName("gridView")
        self.samples_title = QLabel("<b>Samples</b> (fixed noise)", self)
        self.quality_plot = QualityPlot(self)
        self.quality_plot.plot_widget.setObjectName("qualityPlot")
        self.class_histogram = ClassHistogram(self)
        self.class_histogram.setObjectName("classHistogram")
        self.collapse_badge = CollapseBadge(self)
        self.grid_view.epoch_changed.connect(self._show_epoch_scores)
        self.dataset = "mnist"
        self.doctor = DoctorPanel(self)

        plots = QWidget(self)
        plots_layout = QVBoxLayout(plots)
        plots_layout.setContentsMargins(0, 0, 0, 0)
        plots_layout.addWidget(self.loss_plot, 3)
        plots_layout.addWidget(self.prob_plot, 2)
        plots_layout.addWidget(self.quality_plot, 2)
        plots_layout.addWidget(self.smoothing)
        samples = Panel(self)
        samples_layout = QVBoxLayout(samples)
        samples_layout.setContentsMargins(0, 0, 0, 0)
        samples_layout.addWidget(self.samples_title)
        samples_layout.addWidget(self.collapse_badge)
        samples_layout.addWidget(self.grid_view, 3)
        samples_layout.addWidget(self.class_histogram, 1)
        right = splitter(self, Qt.Orientation.Vertical, [samples, self.doctor], [3, 2], [440, 320],
                         name="doctorSplitter")
        self.splitter = splitter(self, Qt.Orientation.Horizontal, [plots, right], [3, 2], [500, 520],
                                 name="liveSplitter")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(REDRAW_MS)
        self._redraw_timer.timeout.connect(self.redraw)
        self.reset()

    # ---- data in ---------------------------------------------------------------------
    def reset(self) -> None:
        """Forget everything shown (a new run starts)."""
        self._epochs: list[dict] = []
        self._done_x = np.empty(0)
        self._done_d = np.empty(0)
        self._done_g = np.empty(0)
        self._live: list[tuple[float, float, float]] = []
        self.loss_plot.clear()
        self.prob_plot.clear()
        self.quality_plot.clear()
        self.grid_view.clear()
        self.class_histogram.clear()
        self.collapse_badge.set_entry(None)
        self.doctor.clear()
        self.redraw_count = 0
        self.redraw()

    def set_evaluating(self, on: bool, dataset: str = "mnist") -> None:
        """Show the quality plot and the class histogram for a run that scores its epochs (or
        that has stored scores); hide them otherwise."""
        self.dataset = self.class_histogram.dataset = dataset
        on = on or any("quality" in e for e in self._epochs)
        self.quality_plot.setVisible(on)
        self.class_histogram.setVisible(on)

    def load_history(self, epochs: list[dict], grids: dict[int, object]) -> None:
        """Show a run's saved epochs (metrics.jsonl entries) and grids (PNG paths) before resuming."""
        self.reset()
        for entry in epochs:
            self._add_epoch_metrics(entry)
        self.grid_view.set_grids(grids)
        self.doctor.set_entries(self._epochs)
        self.redraw()
        self._show_epoch_scores(self.grid_view.current_epoch())

    def add_progress(self, event) -> None:
        """A BatchProgress: one faint point; cheap, drawn on the next timer tick."""
        x = event.epoch - 1 + event.batch / max(event.batches, 1)
        self._live.append((x, event.d_loss, event.g_loss))
        self._schedule()

    def add_epoch(self, event) -> None:
        """An EpochEnded: its ≤100 batch points replace the live ones; the grid is added."""
        self._add_epoch_metrics({
            "epoch": event.epoch, "d_loss": event.d_loss, "g_loss": event.g_loss,
            "d_real": event.d_real, "d_fake": event.d_fake,
            "batch_d_loss": event.batch_d_loss, "batch_g_loss": event.batch_g_loss, **event.scores,
        })
        self.grid_view.add_grid(event.epoch, event.grid)
        self.doctor.set_entries(self._epochs)
        self._show_epoch_scores(self.grid_view.current_epoch())
        self._schedule()

    def entry(self, epoch: int | None) -> dict | None:
        """The metrics of an epoch shown here, or None."""
        return next((e for e in self._epochs if e["epoch"] == epoch), None)

    def refresh_scores(self) -> None:
        """Judge the shown epoch again (the collapse thresholds changed)."""
        self._show_epoch_scores(self.grid_view.current_epoch())

    def _show_epoch_scores(self, epoch) -> None:
        """The histogram and the badge follow the epoch the grid shows."""
        entry = self.entry(epoch)
        self.class_histogram.set_entry(entry)
        self.collapse_badge.set_entry(entry, self.dataset)

    def _add_epoch_metrics(self, entry: dict) -> None:
        epoch = int(entry["epoch"])
        self._epochs = [e for e in self._epochs if e["epoch"] != epoch] + [entry]
        self._epochs.sort(key=lambda e: e["epoch"])
        d = np.asarray(entry.get("batch_d_loss") or [], dtype=float)
        g = np.asarray(entry.get("batch_g_loss") or [], dtype=float)
        n = min(len(d), len(g))
        keep = self._done_x <= epoch - 1
        x = epoch - 1 + np.arange(1, n + 1) / max(n, 1)
        self._done_x = np.concatenate([self._done_x[keep], x])
        self._done_d = np.concatenate([self._done_d[keep], d[:n]])
        self._done_g = np.concatenate([self._done_g[keep], g[:n]])
        self._live = [p for p in self._live if p[0] > epoch]

    # ---- drawing ---------------------------------------------------------------------
    def _schedule(self) -> None:
        if not self._redraw_timer.isActive():
            self._redraw_timer.start()

    def redraw(self) -> None:
        """Push all data to the curves (one setData per series)."""
        self.redraw_count += 1
        live = np.asarray(self._live, dtype=float).reshape(-1, 3)
        bx = np.concatenate([self._done_x, live[:, 0]])
        self.loss_plot.set_series("d_batch", bx, np.concatenate([self._done_d, live[:, 1]]), D_COLOR, faint=True)
        self.loss_plot.set_series("g_batch", bx, np.concatenate([self._done_g, live[:, 2]]), G_COLOR, faint=True)
        ex = [e["epoch"] for e in self._epochs]
        self.loss_plot.set_series("d", ex, [e["d_loss"] for e in self._epochs], D_COLOR, markers=True, name="D loss")
        self.loss_plot.set_series("g", ex, [e["g_loss"] for e in self._epochs], G_COLOR, markers=True, name="G loss")
        self.prob_plot.set_series("d_real", ex, [e.get("d_real", np.nan) for e in self._epochs], REAL_COLOR,
                                  markers=True, name="D(x)")
        self.prob_plot.set_series("d_fake", ex, [e.get("d_fake", np.nan) for e in self._epochs], FAKE_COLOR,
                                  markers=True, name="D(G(z))")
        self.quality_plot.set_epochs(self._epochs)

    def flush(self) -> None:
        """Draw now (tests, and before a screenshot)."""
        self._redraw_timer.stop()
        self.redraw()

    def epochs_shown(self) -> list[int]:
        return [e["epoch"] for e in self._epochs]

    def _on_smoothing(self, weight: float) -> None:
        self.loss_plot.set_smoothing(weight)
        self.prob_plot.set_smoothing(weight)
        self.quality_plot.set_smoothing(weight)
