"""The details of one run under the table: header, loss and quality curves, grid per epoch with
its class histogram and near-copies, config, notes, discriminator report, the doctor's findings.
A click on a grid sample or a histogram bar opens the near-copies strip (`runs.neighbours`)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.core.config import field_specs
from workbench.core.geometry import grid_rows
from workbench.core.store.lineage import history
from workbench.core.store.runs import Run, RunSummary
from workbench.gui.doctor_panel import DoctorPanel
from workbench.gui.formatting import escape_html
from workbench.gui.layout import Panel, splitter
from workbench.gui.plots.colours import D_COLOR, G_COLOR, STATUS_COLORS, RunPalette
from workbench.gui.plots.grid_view import EpochGridView
from workbench.gui.plots.loss_plot import LossPlot
from workbench.gui.run_data import epoch_curves, read_config_dict
from workbench.gui.runs.neighbours import NeighboursStrip, StripRequest
from workbench.gui.runs.quality_section import QualitySection


class RunDetails(Panel):
    """One run: header (status, problem, folder), collapse badge, loss curves over quality
    curves, grid per epoch over its class histogram, and tabs: config, notes, discriminator,
    doctor (`doctor`, a DoctorPanel whose `try_change` offers a fork)."""

    notes_saved = Signal(str)

    def __init__(self, palette: RunPalette, parent=None):
        super().__init__(parent)
        self.palette_ = palette
        self.run: Run | None = None
        self._summary: RunSummary | None = None
        self._shown_epochs: list[int] = []

        self.header = QLabel("Select a run to see its curves, samples, config and notes.", self)
        self.header.setObjectName("runHeader")
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setWordWrap(True)
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.loss_plot = LossPlot(self, title="Losses per epoch")
        self.grid_view = EpochGridView(self)
        self.grid_view.set_placeholder("No samples yet")
        self.quality = QualitySection(self)
        self.grid_view.epoch_changed.connect(self.quality.show_epoch)
        self.grid_view.epoch_changed.connect(self._caption_inherited)
        self.strip: NeighboursStrip | None = None
        self.grid_view.set_click_hint("Click a sample: the samples of its class beside their nearest training images")
        self.grid_view.sample_clicked.connect(self.open_strip_for_sample)
        self.quality.histogram.set_click_hint("Click a bar: that class's samples beside their nearest training images")
        self.quality.histogram.class_clicked.connect(self.open_strip_for_class)

        self.config_table = QTableWidget(0, 2, self)
        self.config_table.setObjectName("configTable")
        self.config_table.setHorizontalHeaderLabels(["Field", "Value"])
        self.config_table.verticalHeader().setVisible(False)
        self.config_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.config_table.horizontalHeader().setStretchLastSection(True)
        self.config_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)

        self.notes_edit = QPlainTextEdit(self)
        self.notes_edit.setObjectName("notesEdit")
        self.notes_edit.setPlaceholderText("Notes about this run (saved in its run.json)")
        self.save_notes_button = QPushButton("Save notes", self)
        self.save_notes_button.setEnabled(False)
        self.save_notes_button.clicked.connect(self.save_notes)
        self.notes_edit.modificationChanged.connect(self.save_notes_button.setEnabled)
        notes_page = QWidget(self)
        notes_layout = QVBoxLayout(notes_page)
        notes_layout.addWidget(self.notes_edit, 1)
        notes_layout.addWidget(self.save_notes_button, 0, Qt.AlignmentFlag.AlignRight)

        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.config_table, "Config")
        self.tabs.addTab(notes_page, "Notes")
        self.tabs.addTab(self.quality.report_view, "Discriminator")
        self.doctor = DoctorPanel(self)
        self.tabs.addTab(self.doctor, "Doctor")

        plots = splitter(self, Qt.Orientation.Vertical, [self.loss_plot, self.quality.plot_area], [1, 1], [200, 200])
        histogram = QWidget(self)
        histogram_layout = QVBoxLayout(histogram)
        histogram_layout.setContentsMargins(0, 0, 0, 0)
        histogram_layout.addWidget(self.quality.histogram, 1)
        histogram_layout.addWidget(self.quality.near_copies)
        grids = splitter(self, Qt.Orientation.Vertical, [self.grid_view, histogram], [3, 2], [240, 160])
        self.splitter = splitter(self, Qt.Orientation.Horizontal, [plots, grids, self.tabs],
                                 [3, 2, 2], [520, 380, 420])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.header)
        layout.addWidget(self.quality.badge)
        layout.addWidget(self.splitter, 1)
        self.setEnabled(False)

    def show_run(self, run: Run | None, summary: RunSummary | None = None) -> None:
        """Show `run` from scratch (None clears)."""
        self.run, self._summary = run, None
        self.loss_plot.clear()
        self.quality.clear()
        self.grid_view.clear()
        self._shown_epochs = []
        self.config_table.setRowCount(0)
        self.notes_edit.setPlainText("")
        self.notes_edit.document().setModified(False)
        self.doctor.clear()
        self.setEnabled(run is not None)
        if run is None:
            self.header.setText("Select a run to see its curves, samples, config and notes.")
            return
        self._fill_config()
        try:
            notes = run.read_info().notes or ""
        except (OSError, ValueError):
            notes = ""
        self.notes_edit.setPlainText(notes)
        self.notes_edit.document().setModified(False)
        self.update_run(summary)

    def update_run(self, summary: RunSummary | None = None) -> None:
        """Bring curves, grids and header up to date (new epochs while it trains)."""
        run = self.run
        if run is None:
            return
        summary = self._summary = summary or run.summary()
        self._fill_header(summary)
        log = history(run)  # a fork's epochs 1..E are its parent's
        curves = epoch_curves(log.epochs)
        # the live view's colours, so a stored run reads like the one being trained
        self.loss_plot.set_series("batch_d", *curves["batch_d"], color=D_COLOR, faint=True)
        self.loss_plot.set_series("batch_g", *curves["batch_g"], color=G_COLOR, faint=True)
        self.loss_plot.set_series("d", *curves["d"], color=D_COLOR, markers=True, name="D loss")
        self.loss_plot.set_series("g", *curves["g"], color=G_COLOR, markers=True, name="G loss")
        self.quality.show_run(run, log.epochs, summary.dataset, self.grid_view.current_epoch())
        self.loss_plot.set_epoch_marker(summary.parent_epoch or None, "forked here")  # epochs up to it: inherited
        self.doctor.show_stored(run, log.epochs)
        epochs = log.sample_epochs()
        if not self._shown_epochs:
            self.grid_view.set_grids(log.grids)
            self.grid_view.set_row_labels(_class_rows(run))
        else:
            for e in epochs:
                if e not in self._shown_epochs:
                    self.grid_view.add_grid(e, log.grids[e])
        self._shown_epochs = epochs
        self._caption_inherited(self.grid_view.current_epoch())

    def _caption_inherited(self, epoch: int | None) -> None:
        """A fork's epochs 1..E are its parent's: their grid says so."""
        s = self._summary
        inherited = s is not None and s.parent and epoch is not None and epoch <= s.parent_epoch
        self.grid_view.set_caption(f"Inherited from {s.parent} (forked at epoch {s.parent_epoch})" if inherited else "")

    def _fill_header(self, s: RunSummary) -> None:
        color = STATUS_COLORS.get(s.status, "#000")
        lines = [f"<b style='font-size:12pt'>{escape_html(s.name)}</b> &nbsp; "
                 f"<span style='color:{color}'><b>{s.status}</b></span> &nbsp; "
                 f"{s.epochs_done}/{s.epochs_total} epochs &nbsp; {escape_html(s.preset or 'custom')} "
                 f"on {escape_html(s.dataset)}"]
        if s.problem:
            lines.append(f"<span style='color:#c62828'>Damaged: {escape_html(s.problem)}. "
                         f"It can still be exported or deleted.</span>")
        try:
            message = self.run.read_info().message
        except (OSError, ValueError):
            message = None
        if message:
            lines.append(f"<span style='color:#8d6e00'>{escape_html(message)}</span>")
        if s.parent:
            lines.append(f"Forked from {escape_html(s.parent)} at epoch {s.parent_epoch}: epochs 1–{s.parent_epoch} "
                         f"are the parent's (inherited).")
        lines.append(f"<span style='color:#777'>{s.id} · {escape_html(str(s.path))}</span>")
        self.header.setText("<br>".join(lines))

    def _fill_config(self) -> None:
        data, problem = read_config_dict(self.run)
        specs = field_specs()
        rows = [(specs[k].label if k in specs else k, v, specs[k].help if k in specs else "")
                for k, v in data.items()]
        if problem:
            rows.insert(0, ("(problem)", problem, ""))
        self.config_table.setRowCount(len(rows))
        for i, (label, value, help_text) in enumerate(rows):
            key = QTableWidgetItem(label)
            key.setToolTip(help_text)
            shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            self.config_table.setItem(i, 0, key)
            self.config_table.setItem(i, 1, QTableWidgetItem(shown))

    def save_notes(self) -> None:
        if self.run is None:
            return
        text = self.notes_edit.toPlainText()
        self.run.update_info(notes=text)
        self.notes_edit.document().setModified(False)
        self.notes_saved.emit(self.run.id)

    def has_unsaved_notes(self) -> bool:
        return self.notes_edit.document().isModified()

    # ---- near-copies ---------------------------------------------------------------------------
    def open_strip_for_sample(self, epoch: int, x: int, y: int) -> NeighboursStrip | None:
        """The strip of the class of the grid sample at pixel (x, y) of `epoch`'s grid."""
        return self._open_strip(epoch, x=x, y=y)

    def open_strip_for_class(self, klass: int) -> NeighboursStrip | None:
        """The strip of class `klass` in the epoch the histogram shows."""
        if self.quality.shown_epoch is None:
            return None
        return self._open_strip(self.quality.shown_epoch, klass=klass)

    def _open_strip(self, epoch: int, **where) -> NeighboursStrip | None:
        if self.run is None or self._summary is None:
            return None
        if self.strip is None:
            self.strip = NeighboursStrip(self)
            self.strip.measured.connect(self._on_measured)
        samples = self.quality.entry(epoch).get("eval_samples")  # the samples its histogram counted
        self.strip.request(StripRequest(self.run, self._summary.name, self._summary.dataset, epoch,
                                        samples=samples if isinstance(samples, int) else None, **where))
        self.strip.show()
        self.strip.raise_()
        return self.strip

    def _on_measured(self, run_id: str) -> None:
        if self.run is not None and self.run.id == run_id:
            self.update_run()

    def stop_strip(self) -> None:
        """Stop the strip's computation, waiting for it (closing the window)."""
        if self.strip is not None:
            self.strip.stop_and_wait()
            self.strip.close()


def _class_rows(run: Run) -> list[str]:
    """A conditional run's grid rows (class names), none for another or an unreadable run.json
    (a damaged run is shown, never a crash)."""
    try:
        return grid_rows(run.read_info().classes or [])
    except (OSError, ValueError, TypeError):
        return []
