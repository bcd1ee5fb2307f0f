"""Compare 2..8 runs side by side: overlaid loss curves (one colour per run, D solid, G dashed)
beside their image-quality curves (Fréchet score, log scale), their sample grids under one
shared epoch slider (or each at its run's best epoch), the runs ranked by best quality, a summary
block and a config table that highlights the fields that differ (tables in `compare_tables`).
"Export comparison" writes one labelled PNG of the grids at the chosen epoch, a PNG of the plots
and a CSV of the curves; "Export animation" a GIF of the grids side by side, a frame per epoch.

Reads JSON and PNGs only (no torch); the diff, stats, ranking and CSV logic live in `core.compare`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRect, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from workbench.core import words
from workbench.core.atomic import describe_write_error
from workbench.core.evaluation.marks import around, common_marks
from workbench.core.outputs.compare import (
    config_diff,
    grid_epoch,
    rank_by_quality,
    run_stats,
    scored_epochs,
    write_curves_csv,
)
from workbench.core.store.best_epoch import RECORD_NAME
from workbench.core.store.lineage import history
from workbench.core.store.runs import Run
from workbench.gui.compare.tables import ConfigTable, SummaryTable, ranking_text
from workbench.gui.layout import Panel, splitter
from workbench.gui.plots.colours import RunPalette, swatch_icon
from workbench.gui.plots.grid_view import EpochGridView
from workbench.gui.plots.loss_plot import LossPlot, SmoothingControl
from workbench.gui.plots.quality_widgets import QUALITY_LABEL
from workbench.gui.run_data import epoch_curves, read_config_dict

POLL_MS = 2000
MIN_QUALITY = 1e-6  # a Fréchet score of 0 still has a place on the log axis


class _RunData:
    """What the comparison shows of one run, read once."""

    def __init__(self, run: Run):
        self.run = run
        self.summary = run.summary()
        self.name = self.summary.name
        seen = history(run)  # a fork's epochs 1..E are its parent's
        self.epochs, self.grids, self.sample_epochs = seen.epochs, seen.grids, seen.sample_epochs()
        self.config, self.config_problem = read_config_dict(run)
        self.stats = run_stats(self.epochs, self.summary.duration)


def _signature(run: Run) -> tuple:
    """Changes when a run's epochs or status change."""
    out = []
    for path in (run.metrics_file, run.info_file, run.checkpoints_dir / RECORD_NAME):
        try:
            st = path.stat()
            out.append((st.st_mtime_ns, st.st_size))
        except OSError:
            out.append(None)
    return tuple(out)


class CompareView(QWidget):
    """Runs side by side; `set_epoch(n)` moves every grid (clamped per run) at once."""

    epoch_changed = Signal(int)

    def __init__(self, runs: list[Run], palette: RunPalette | None = None, parent=None):
        super().__init__(parent)
        if not 2 <= len(runs) <= 8:
            raise ValueError(f"compare 2 to 8 runs, got {len(runs)}")
        self.palette_ = palette or RunPalette(self)
        self.data = [_RunData(r) for r in runs]
        ids = [d.run.id for d in self.data]
        self.colors = self.palette_.assign_distinct(ids)
        self._hidden: set[str] = set()
        self._last_export_dir = ""

        title = QLabel(f"<b>Comparing {len(runs)} runs</b>", self)
        self.export_button = QPushButton("Export comparison…", self)
        self.export_button.setObjectName("exportComparisonButton")
        self.export_button.setToolTip("Write the grids at the shown epoch as one labelled PNG, the plots "
                                      "as another, and the curves (losses and every score) as CSV")
        self.export_button.clicked.connect(self._on_export_clicked)
        self.gif_button = QPushButton("Export animation…", self)
        self.gif_button.setObjectName("compareGifButton")
        self.gif_button.setToolTip("Write the runs' sample grids side by side as an animated GIF, a frame per epoch")
        self.gif_button.clicked.connect(self.export_gif)
        self.close_button = QPushButton("Close", self)
        self.close_button.setToolTip("Close this comparison (as a tab, the tab goes too)")
        self.close_button.clicked.connect(self.close_comparison)
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.export_button)
        top.addWidget(self.gif_button)
        top.addWidget(self.close_button)

        # curves
        self.loss_plot = LossPlot(self, title="D (solid) and G (dashed) loss per epoch")
        self.smoothing = SmoothingControl(self)
        self.smoothing.weight_changed.connect(self.loss_plot.set_smoothing)
        self.quality_plot = LossPlot(self, y_label=QUALITY_LABEL,
                                     title="Image quality per epoch (Fréchet score, log scale: lower is better)",
                                     log_y=True)
        self.quality_plot.setObjectName("compareQualityPlot")
        self.quality_plot.setToolTip("Fréchet score of each run's generated samples against the test split; "
                                     "only evaluated epochs have points")
        self.toggles: list[QCheckBox] = []
        toggles_row = QHBoxLayout()
        for d, color in zip(self.data, self.colors):
            box = QCheckBox(d.name, self)
            box.setIcon(swatch_icon(color))
            box.setChecked(True)
            box.setToolTip(f"Show the curves of {d.name} ({d.run.id})")
            box.toggled.connect(lambda on, run_id=d.run.id: self.set_run_visible(run_id, on))
            self.toggles.append(box)
            toggles_row.addWidget(box)
        toggles_row.addStretch(1)
        toggles_row.addWidget(self.smoothing)
        self.smoothing.setMaximumWidth(260)
        for d, color in zip(self.data, self.colors):
            self._plot_curves(d, color)
        self.plots = splitter(self, Qt.Orientation.Horizontal, [self.loss_plot, self.quality_plot], [1, 1],
                              [500, 500], name="comparePlotsSplitter")
        self.ranking_label = QLabel(self)
        self.ranking_label.setObjectName("qualityRanking")
        self.ranking_label.setTextFormat(Qt.TextFormat.RichText)
        self.ranking_label.setWordWrap(True)
        self.ranking_label.setToolTip("Runs by their best Fréchet score over the evaluated epochs")
        curves_panel = Panel(self)
        curves_layout = QVBoxLayout(curves_panel)
        curves_layout.setContentsMargins(0, 0, 0, 0)
        curves_layout.addLayout(toggles_row)
        curves_layout.addWidget(self.plots, 1)
        curves_layout.addWidget(self.ranking_label)

        # grids with one shared slider
        self.grid_views: list[EpochGridView] = []
        grids_row = QHBoxLayout()
        for d in self.data:
            view = EpochGridView(self)
            view.set_controls_visible(False)
            view.set_grids(d.grids)
            view.set_placeholder("No samples")
            view.setMinimumSize(140, 160)
            self.grid_views.append(view)
            grids_row.addWidget(view, 1)
        self.max_epoch = max((d.sample_epochs[-1] for d in self.data if d.sample_epochs), default=0)
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setObjectName("sharedEpochSlider")
        self.slider.setRange(1 if self.max_epoch else 0, self.max_epoch)
        self.slider.setPageStep(1)
        self.slider.setEnabled(self.max_epoch > 1)
        self.slider.valueChanged.connect(self.set_epoch)
        self.epoch_label = QLabel(self)
        self.epoch_label.setMinimumWidth(110)
        slider_row = QHBoxLayout()
        slider_row.addWidget(QLabel("Epoch", self))
        slider_row.addWidget(self.slider, 1)
        slider_row.addWidget(self.epoch_label)
        self.best_button = QPushButton("Best epochs", self)
        self.best_button.setObjectName("bestEpochsButton")
        self.best_button.setCheckable(True)
        self.best_button.setToolTip("Each grid at its run's best epoch (lowest Fréchet score, the checkpoint the run "
                                    "keeps); moving the slider goes back to one shared epoch")
        self.best_button.toggled.connect(lambda _on: self.set_epoch(self.slider.value()))
        self.slider.actionTriggered.connect(lambda _action: self.best_button.setChecked(False))
        slider_row.addWidget(self.best_button)
        grids_panel = Panel(self)
        grids_layout = QVBoxLayout(grids_panel)
        grids_layout.setContentsMargins(0, 0, 0, 0)
        grids_layout.addLayout(grids_row, 1)
        grids_layout.addLayout(slider_row)

        # summary and config tables
        headers = [(d.run.id, d.name, color) for d, color in zip(self.data, self.colors)]
        self.summary_table = SummaryTable(headers, self)
        self._fill_summary()
        self.diff = config_diff([d.config for d in self.data])
        self.config_table = ConfigTable(self.diff, headers, self)
        self.show_all_fields = QCheckBox("Show all fields", self)
        self.show_all_fields.setToolTip("Off: only the fields that differ between the runs")
        self.show_all_fields.toggled.connect(self.config_table.show_all_fields)
        differing = sum(r.differs for r in self.diff)
        self.diff_label = QLabel(f"{differing} of {len(self.diff)} config fields differ" if differing
                                 else "The configs are identical", self)
        tables_panel = QWidget(self)
        tables_layout = QVBoxLayout(tables_panel)
        tables_layout.setContentsMargins(0, 0, 0, 0)
        tables_layout.addWidget(QLabel("<b>Summary</b>", self))
        tables_layout.addWidget(self.summary_table)
        config_header = QHBoxLayout()
        config_header.addWidget(QLabel("<b>Config</b>", self))
        config_header.addWidget(self.diff_label, 1)
        config_header.addWidget(self.show_all_fields)
        tables_layout.addLayout(config_header)
        tables_layout.addWidget(self.config_table, 1)
        self.config_table.show_all_fields(False)
        self.summary_table.setFixedHeight(self.summary_table.content_height())

        left = splitter(self, Qt.Orientation.Vertical, [curves_panel, grids_panel], [1, 1], [420, 480])
        main = splitter(self, Qt.Orientation.Horizontal, [left, tables_panel], [3, 1], [1000, 480])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(main, 1)

        if self.max_epoch:
            self.slider.setValue(self.max_epoch)
            self.set_epoch(self.max_epoch)
        else:
            self.epoch_label.setText("no samples")

        # runs still training grow while compared: re-read those whose files changed
        self._signatures = [_signature(d.run) for d in self.data]
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self.refresh)
        self._poll.start()

    def _plot_curves(self, d: _RunData, color) -> None:
        curves = epoch_curves(d.epochs)
        self.loss_plot.set_series(f"{d.run.id}/d", *curves["d"], color=color, markers=len(curves["d"][0]) < 30,
                                  name=f"{d.name} D")
        self.loss_plot.set_series(f"{d.run.id}/g", *curves["g"], color=color, dashed=True,
                                  markers=len(curves["g"][0]) < 30, name=f"{d.name} G")
        scored = scored_epochs(d.epochs)
        key = f"{d.run.id}/quality"
        if scored or key in self.quality_plot.series_keys():  # runs never evaluated get no curve
            self.quality_plot.set_series(key, [e["epoch"] for e in scored],
                                         [max(e["quality"], MIN_QUALITY) for e in scored], color=color,
                                         markers=len(scored) < 30, name=d.name)
            self.quality_plot.set_series_visible(key, d.run.id not in self._hidden)

    def _show_quality(self) -> None:
        """The ranking line, and the quality plot only when some run has scores."""
        self.ranking_label.setText(ranking_text([d.name for d in self.data], self.colors,
                                                [d.stats for d in self.data]))
        self.quality_plot.setVisible(any(d.stats["best_quality"] is not None for d in self.data))
        scores = [e["quality"] for d in self.data for e in scored_epochs(d.epochs)]  # marks only when one classifier
        self.quality_plot.set_reference_marks(around(scores, common_marks([d.epochs for d in self.data])))

    def refresh(self) -> bool:
        """Re-read runs whose metrics or run.json changed (new epochs of a run still training):
        their curves, grids and summary column. The slider follows the newest epoch when it was
        at the end. Returns whether anything changed."""
        changed = False
        for i, d in enumerate(self.data):
            signature = _signature(d.run)
            if signature == self._signatures[i]:
                continue
            self._signatures[i] = signature
            fresh = _RunData(d.run)
            self.data[i] = fresh
            self._plot_curves(fresh, self.colors[i])
            self.grid_views[i].set_grids(fresh.grids)
            changed = True
        if changed:
            at_end = self.slider.value() == self.max_epoch
            self.max_epoch = max((d.sample_epochs[-1] for d in self.data if d.sample_epochs), default=0)
            self.slider.setRange(1 if self.max_epoch else 0, self.max_epoch)
            self.slider.setEnabled(self.max_epoch > 1)
            self._fill_summary()  # and the best button, whose runs may have a best now
            self.set_epoch(self.max_epoch if at_end else self.slider.value())
        return changed

    # ---- public ------------------------------------------------------------------------------
    def run_ids(self) -> list[str]:
        return [d.run.id for d in self.data]

    def epoch(self) -> int:
        return self.slider.value()

    def set_epoch(self, epoch: int) -> None:
        """Show `epoch` in every grid; shorter runs stay at their last epoch and say so."""
        epoch = int(epoch)
        if self.slider.value() != epoch:
            self.slider.setValue(epoch)  # comes back here through valueChanged
            return
        best = self.best_button.isChecked()
        self.epoch_label.setText("each run's best" if best else f"epoch {epoch} / {self.max_epoch}")
        for d, view in zip(self.data, self.grid_views):
            shown, caption = self.grid_epoch(d, epoch)
            if shown is not None:
                view.show_epoch(shown)
            view.set_caption(f"{d.name} — {caption}" if shown is not None else f"{d.name}: no samples")
        self.epoch_changed.emit(epoch)

    def grid_epoch(self, d: _RunData, epoch: int) -> tuple[int | None, str]:
        """(the epoch whose grid the run shows at `epoch`, its caption); its best with Best epochs on."""
        return grid_epoch(d.sample_epochs, epoch, d.summary.best if self.best_button.isChecked() else None)

    def mark_epoch(self, epoch: int, label: str) -> None:
        """A labelled vertical line at `epoch` on both plots: where a fork leaves its parent."""
        for plot in (self.loss_plot, self.quality_plot):
            plot.set_epoch_marker(epoch, label)

    def close_comparison(self) -> None:
        """Close and delete; a QTabWidget drops the tab of a deleted page by itself."""
        self.close()
        self.deleteLater()

    def set_run_visible(self, run_id: str, visible: bool) -> None:
        (self._hidden.discard if visible else self._hidden.add)(run_id)
        self.loss_plot.set_series_visible(f"{run_id}/d", visible)
        self.loss_plot.set_series_visible(f"{run_id}/g", visible)
        self.quality_plot.set_series_visible(f"{run_id}/quality", visible)

    def differing_fields(self) -> list[str]:
        return [r.field for r in self.diff if r.differs]

    def visible_config_fields(self) -> list[str]:
        return self.config_table.visible_fields()

    def quality_ranking(self) -> list[str]:
        """Run ids by best quality, best first; runs never evaluated last."""
        return [d.run.id for d in rank_by_quality(self.data, key=lambda d: d.stats["best_quality"])]

    # ---- export ------------------------------------------------------------------------------
    def render_comparison(self, epoch: int | None = None) -> QImage:
        """The grids at `epoch` (each run's best with Best epochs on) side by side, each labelled
        with its run's name and epoch."""
        epoch = self.epoch() if epoch is None else epoch
        images, labels = [], []
        for d in self.data:
            shown, caption = self.grid_epoch(d, epoch)
            image = QImage(str(d.grids[shown])) if shown is not None else QImage()
            images.append(None if image.isNull() else image)
            labels.append((d.name, caption))
        cell = max([max(i.width(), i.height()) for i in images if i is not None] or [242])
        scale = max(1, 480 // cell)  # digits readable: integer zoom up to ~480 px
        side = cell * scale
        pad, label_h = 16, 44
        width = pad + len(images) * (side + pad)
        height = pad + label_h + side + pad
        out = QImage(width, height, QImage.Format.Format_RGB32)
        out.fill(QColor("white"))
        painter = QPainter(out)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        bold = QFont(painter.font())
        bold.setPixelSize(15)
        bold.setBold(True)
        plain = QFont(painter.font())
        plain.setPixelSize(13)
        for i, (image, (name, caption), color) in enumerate(zip(images, labels, self.colors)):
            x = pad + i * (side + pad)
            painter.fillRect(QRect(x, pad, side, 4), color)
            painter.setPen(QColor("#111"))
            painter.setFont(bold)
            metrics = painter.fontMetrics()
            painter.drawText(QRect(x, pad + 6, side, 20), Qt.AlignmentFlag.AlignLeft,
                             metrics.elidedText(name, Qt.TextElideMode.ElideRight, side))
            painter.setFont(plain)
            painter.setPen(QColor("#555"))
            painter.drawText(QRect(x, pad + 25, side, 18), Qt.AlignmentFlag.AlignLeft, caption)
            target = QRect(x, pad + label_h, side, side)
            if image is None:
                painter.fillRect(target, QColor("#eee"))
                painter.drawText(target, Qt.AlignmentFlag.AlignCenter, "no samples")
            else:
                w, h = image.width() * scale, image.height() * scale
                painter.drawImage(QRect(x + (side - w) // 2, pad + label_h + (side - h) // 2, w, h), image)
            painter.setPen(QPen(color, 2))
            painter.setBrush(QBrush(Qt.BrushStyle.NoBrush))
            painter.drawRect(target.adjusted(-1, -1, 0, 0))
        painter.end()
        return out

    def export_comparison(self, folder) -> list[Path]:
        """Write `comparison-epoch-NNNN.png`, `comparison-plots.png` (the loss plot and, when
        some run was evaluated, the quality plot, as shown) and `comparison-curves.csv`."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        png = folder / ("comparison-best.png" if self.best_button.isChecked() else
                        f"comparison-epoch-{self.epoch():04d}.png")
        plots = folder / "comparison-plots.png"
        for image, path in ((self.render_comparison(), png), (self.plots.grab().toImage(), plots)):
            if not image.save(str(path), "PNG"):
                raise OSError(f"could not write {path}")
        csv_path = write_curves_csv([(d.run.id, d.name, d.epochs) for d in self.data],
                                    folder / "comparison-curves.csv")
        return [png, plots, csv_path]

    def choose_export_dir(self) -> str | None:
        """The folder dialog; a method so tests can replace it."""
        folder = QFileDialog.getExistingDirectory(self, "Export comparison into folder", self._last_export_dir)
        return folder or None

    def ask_gif_path(self) -> str | None:
        """The save dialog for the animation; a method so tests can replace it."""
        start = str(Path(self._last_export_dir) / "comparison.gif")
        path, _ = QFileDialog.getSaveFileName(self, "Export animation", start, "GIF animation (*.gif)")
        return (path if path.lower().endswith(".gif") else path + ".gif") if path else None

    def show_message(self, title: str, text: str) -> None:
        QMessageBox.information(self, title, text)

    def export_gif(self) -> int:
        """The compared runs' training side by side as one GIF; returns the frames written."""
        path = self.ask_gif_path()
        if not path:
            return 0
        from workbench.core.outputs.animation import write_gif

        try:
            frames = write_gif([d.run for d in self.data], path, [d.name for d in self.data])
        except (OSError, ValueError) as e:
            self.show_message("Export failed", describe_write_error(e) if isinstance(e, OSError) else f"{e}.")
            return 0
        self.show_message("Animation exported", f"Wrote {words.count(frames, 'frame')} (one per epoch) to {path}.")
        return frames

    def _on_export_clicked(self) -> None:
        folder = self.choose_export_dir()
        if not folder:
            return
        self._last_export_dir = folder
        try:
            written = self.export_comparison(folder)
        except OSError as e:
            self.show_message("Export failed", describe_write_error(e))
            return
        self.show_message("Comparison exported", "\n".join(str(p) for p in written))

    # ---- summary -------------------------------------------------------------------------------
    def _fill_summary(self) -> None:
        self.summary_table.fill([d.summary for d in self.data], [d.stats for d in self.data])
        self._show_quality()
        self.best_button.setEnabled(any(d.summary.best for d in self.data))
