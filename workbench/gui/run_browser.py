"""Run browser: every run in a sortable, filterable table, its details, and what can be done
with it (resume, new run from its config, rename, notes, generate, export, delete, compare).

Listing reads JSON and thumbnails only (never torch) through `core.listing.SummaryCache`, and
stays live: a file-system watcher on the runs folder plus a cheap poll of file times update
rows in place, so a run trained by the CLI in another process appears and advances here.
Every question to the user is a method (`ask_*`, `confirm_*`, `choose_*`, `show_*`) so tests
and embedders can replace it. Torch is imported only by the actions that need it.
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from pathlib import Path
from typing import Callable

from PySide6.QtCore import (
    QAbstractTableModel, QFileSystemWatcher, QModelIndex, QPoint, QSize, QSortFilterProxyModel, Qt,
    QTimer, QUrl, Signal,
)
from PySide6.QtGui import QAction, QColor, QDesktopServices, QFont, QGuiApplication, QImage, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QHeaderView,
    QInputDialog, QLabel, QLineEdit, QMenu, QMessageBox, QPlainTextEdit, QPushButton, QSpinBox,
    QTableView, QTableWidget, QTableWidgetItem, QTabWidget, QToolButton, QVBoxLayout, QWidget,
)

from workbench.core.config import field_specs
from workbench.core.listing import SummaryCache
from workbench.core.runs import Run, RunLocked, RunStore, RunSummary
from workbench.gui.grid_view import EpochGridView, PixelView, array_to_image
from workbench.gui.live_view import D_COLOR, G_COLOR
from workbench.gui.loss_plot import LossPlot
from workbench.gui.run_colors import RunPalette
from workbench.gui.layout import splitter

POLL_MS = 1500
THUMB_SIZE = 40
MAX_COMPARE = 8

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
RUN_ID_ROLE = Qt.ItemDataRole.UserRole + 2
FILTER_ROLE = Qt.ItemDataRole.UserRole + 3

COLUMNS = ("grid", "name", "status", "preset", "dataset", "epochs", "d_loss", "g_loss", "created", "duration")
HEADERS = {"grid": "Grid", "name": "Name", "status": "Status", "preset": "Preset", "dataset": "Dataset",
           "epochs": "Epochs", "d_loss": "D loss", "g_loss": "G loss", "created": "Created",
           "duration": "Duration"}
STATUS_COLORS = {"running": "#1565c0", "finished": "#2e7d32", "stopped": "#8d6e00", "failed": "#c62828",
                 "damaged": "#c62828", "created": "#616161"}
STATUS_ORDER = {s: i for i, s in enumerate(("running", "created", "stopped", "finished", "failed", "damaged"))}


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = float(seconds)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def format_loss(value) -> str:
    return f"{value:.4f}" if isinstance(value, (int, float)) else ""


def format_created(text: str) -> str:
    return text[:16].replace("T", " ") if text else ""


class ThumbnailCache:
    """Small pixmaps of the last grid, keyed by path and mtime so a rewritten file reloads.

    Loaded lazily, when a row is painted, so listing 500 runs reads no PNG at all."""

    def __init__(self, size: int = THUMB_SIZE, limit: int = 2000):
        self.size = size
        self.limit = limit
        self._pixmaps: OrderedDict[tuple, QPixmap] = OrderedDict()
        self.loads = 0

    def get(self, path: Path | None) -> QPixmap | None:
        if path is None:
            return None
        try:
            mtime = os.stat(path).st_mtime_ns
        except OSError:
            return None
        key = (str(path), mtime)
        pixmap = self._pixmaps.get(key)
        if pixmap is None:
            image = QImage(str(path))
            if image.isNull():
                return None
            self.loads += 1
            pixmap = QPixmap.fromImage(image.scaled(
                self.size, self.size, Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation))
            self._pixmaps[key] = pixmap
            if len(self._pixmaps) > self.limit:
                self._pixmaps.popitem(last=False)
        else:
            self._pixmaps.move_to_end(key)
        return pixmap


class RunTableModel(QAbstractTableModel):
    """Rows are RunSummary values; `refresh()` inserts, removes and updates rows in place
    (no model reset), so selection and scroll position survive a refresh."""

    runs_changed = Signal(list)  # ids whose summary changed (new ones included)
    runs_removed = Signal(list)

    def __init__(self, store: RunStore | None = None, palette: RunPalette | None = None, parent=None):
        super().__init__(parent)
        self.store = store or RunStore()
        self.palette = palette or RunPalette(self)
        self.thumbnails = ThumbnailCache()
        self._cache = SummaryCache(self.store)
        self._rows: list[RunSummary] = []
        self._row_of: dict[str, int] = {}
        self.palette.changed.connect(self._on_palette_changed)

    # ---- loading -------------------------------------------------------------------------
    def refresh(self) -> bool:
        """Re-read what changed on disk; returns whether any row changed."""
        summaries, changed = self._cache.refresh()
        self.palette.register(s.id for s in summaries)
        new = {s.id: s for s in summaries}
        removed = [run_id for run_id in self._row_of if run_id not in new]
        for run_id in sorted(removed, key=self._row_of.get, reverse=True):
            row = self._row_of[run_id]
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._rows[row]
            self.endRemoveRows()
        if removed:
            self._row_of = {s.id: i for i, s in enumerate(self._rows)}
        added = [s for s in summaries if s.id not in self._row_of]
        if added:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(added) - 1)
            self._rows.extend(added)
            self._row_of.update({s.id: first + i for i, s in enumerate(added)})
            self.endInsertRows()
        updated = [run_id for run_id in changed if run_id in self._row_of and run_id not in {s.id for s in added}]
        for run_id in updated:
            row = self._row_of[run_id]
            self._rows[row] = new[run_id]
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
        if removed:
            self.runs_removed.emit(removed)
        if added or updated:
            self.runs_changed.emit([s.id for s in added] + updated)
        return bool(removed or added or updated)

    poll = refresh

    def forget(self, run_id: str) -> None:
        """Make the next refresh re-read this run even if its file times look unchanged."""
        self._cache.forget(run_id)

    # ---- access ----------------------------------------------------------------------------
    def summary(self, row: int) -> RunSummary:
        return self._rows[row]

    def summaries(self) -> list[RunSummary]:
        return list(self._rows)

    def row_of(self, run_id: str) -> int | None:
        return self._row_of.get(run_id)

    def summary_of(self, run_id: str) -> RunSummary | None:
        row = self._row_of.get(run_id)
        return None if row is None else self._rows[row]

    # ---- Qt model --------------------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[COLUMNS[section]]
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        s = self._rows[index.row()]
        column = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(s, column)
        if role == SORT_ROLE:
            return self._sort_key(s, column)
        if role == RUN_ID_ROLE:
            return s.id
        if role == FILTER_ROLE:
            return " ".join((s.name, s.id, s.status, s.preset or "custom", s.dataset)).lower()
        if role == Qt.ItemDataRole.DecorationRole:
            if column == "grid":
                return self.thumbnails.get(s.thumbnail)
            if column == "name":
                return self.palette.swatch(s.id)
        if role == Qt.ItemDataRole.ToolTipRole:
            if s.problem:
                return f"Damaged: {s.problem}"
            if column == "name":
                return f"{s.name}\n{s.id}\n{s.path}"
            if column == "status" and s.status == "running":
                return "Being trained now (possibly by another process)"
        if role == Qt.ItemDataRole.ForegroundRole and column == "status":
            return QColor(STATUS_COLORS.get(s.status, "#000"))
        if role == Qt.ItemDataRole.FontRole and column == "status" and s.status in ("running", "damaged"):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and column in ("epochs", "d_loss", "g_loss", "duration"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def _display(s: RunSummary, column: str):
        if column == "name":
            return s.name
        if column == "status":
            return s.status
        if column == "preset":
            return s.preset or "custom"
        if column == "dataset":
            return s.dataset
        if column == "epochs":
            return f"{s.epochs_done}/{s.epochs_total}"
        if column == "d_loss":
            return format_loss(s.last_d_loss)
        if column == "g_loss":
            return format_loss(s.last_g_loss)
        if column == "created":
            return format_created(s.created)
        if column == "duration":
            return format_duration(s.duration)
        return None

    @staticmethod
    def _sort_key(s: RunSummary, column: str):
        """Comparable keys; missing numbers sort last (ascending)."""
        def number(v):
            return (0, float(v)) if isinstance(v, (int, float)) else (1, 0.0)

        return {
            "grid": (s.epochs_done, s.id),
            "name": (s.name.lower(), s.id),
            "status": (STATUS_ORDER.get(s.status, 99), s.id),
            "preset": ((s.preset or "~custom").lower(), s.id),
            "dataset": (s.dataset, s.id),
            "epochs": (s.epochs_done, s.epochs_total, s.id),
            "d_loss": (number(s.last_d_loss), s.id),
            "g_loss": (number(s.last_g_loss), s.id),
            "created": (s.created, s.id),
            "duration": (number(s.duration), s.id),
        }[column]

    def _on_palette_changed(self) -> None:
        if self._rows:
            column = COLUMNS.index("name")
            self.dataChanged.emit(self.index(0, column), self.index(len(self._rows) - 1, column),
                                  [Qt.ItemDataRole.DecorationRole])


class RunFilterProxy(QSortFilterProxyModel):
    """Sorts by the model's typed sort keys; the filter keeps rows containing every word
    (of name, id, status, preset, dataset), so "dcgan finished" narrows as expected."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._terms: list[str] = []
        self.setDynamicSortFilter(True)
        self.setSortRole(SORT_ROLE)

    def set_filter_text(self, text: str) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.10; invalidateFilter is deprecated there
            self.beginFilterChange()
            self._terms = text.lower().split()
            self.endFilterChange()
        else:
            self._terms = text.lower().split()
            self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex) -> bool:
        if not self._terms:
            return True
        haystack = self.sourceModel().index(source_row, 0, source_parent).data(FILTER_ROLE) or ""
        return all(term in haystack for term in self._terms)

    def lessThan(self, left: QModelIndex, right: QModelIndex) -> bool:
        return left.data(SORT_ROLE) < right.data(SORT_ROLE)


# ---- details ---------------------------------------------------------------------------------

def read_config_dict(run: Run) -> tuple[dict, str | None]:
    """The run's config.json as a dict, tolerant of damage (then with the reason)."""
    try:
        data = json.loads(run.config_file.read_text(encoding="utf-8"))
        return (data, None) if isinstance(data, dict) else ({}, "config.json is not an object")
    except FileNotFoundError:
        return {}, "config.json is missing"
    except (OSError, ValueError) as e:
        return {}, f"config.json is unreadable ({e})"


def epoch_curves(epochs: list[dict]) -> dict[str, tuple[list, list]]:
    """Per-epoch D and G losses, and the per-batch traces spread over each epoch."""
    out = {"d": ([], []), "g": ([], []), "batch_d": ([], []), "batch_g": ([], [])}
    for e in epochs:
        epoch = e.get("epoch")
        for key in ("d", "g"):
            value = e.get(f"{key}_loss")
            if isinstance(value, (int, float)):
                out[key][0].append(epoch)
                out[key][1].append(value)
            trace = e.get(f"batch_{key}_loss") or []
            n = len(trace)
            for i, v in enumerate(trace):
                out[f"batch_{key}"][0].append(epoch - 1 + (i + 1) / n)
                out[f"batch_{key}"][1].append(v)
    return out


class RunDetails(QWidget):
    """One run: header (status, problem, folder), loss curves, grid per epoch, config, notes."""

    notes_saved = Signal(str)

    def __init__(self, palette: RunPalette, parent=None):
        super().__init__(parent)
        self.palette_ = palette
        self.run: Run | None = None
        self._shown_epochs: list[int] = []

        self.header = QLabel("Select a run to see its curves, samples, config and notes.", self)
        self.header.setObjectName("runHeader")
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setWordWrap(True)
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.loss_plot = LossPlot(self, title="Losses per epoch")
        self.grid_view = EpochGridView(self)
        self.grid_view.set_placeholder("No samples yet")

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

        self.splitter = splitter(self, Qt.Orientation.Horizontal, [self.loss_plot, self.grid_view, self.tabs],
                                 [3, 2, 2], [520, 380, 420])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.header)
        layout.addWidget(self.splitter, 1)
        self.setEnabled(False)

    def show_run(self, run: Run | None, summary: RunSummary | None = None) -> None:
        """Show `run` from scratch (None clears)."""
        self.run = run
        self.loss_plot.clear()
        self.grid_view.clear()
        self._shown_epochs = []
        self.config_table.setRowCount(0)
        self.notes_edit.setPlainText("")
        self.notes_edit.document().setModified(False)
        self.setEnabled(run is not None)
        if run is None:
            self.header.setText("Select a run to see its curves, samples, config and notes.")
            return
        self._fill_config()
        try:
            notes = run.info().get("notes") or ""
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
        summary = summary or run.summary()
        self._fill_header(summary)
        log = run.metrics()
        curves = epoch_curves(log.epochs)
        # the live view's colours, so a stored run reads like the one being trained
        self.loss_plot.set_series("batch_d", *curves["batch_d"], color=D_COLOR, faint=True)
        self.loss_plot.set_series("batch_g", *curves["batch_g"], color=G_COLOR, faint=True)
        self.loss_plot.set_series("d", *curves["d"], color=D_COLOR, markers=True, name="D loss")
        self.loss_plot.set_series("g", *curves["g"], color=G_COLOR, markers=True, name="G loss")
        epochs = run.sample_epochs()
        if not self._shown_epochs:
            self.grid_view.set_grids({e: run.sample_file(e) for e in epochs})
        else:
            for e in epochs:
                if e not in self._shown_epochs:
                    self.grid_view.add_grid(e, run.sample_file(e))
        self._shown_epochs = epochs

    def _fill_header(self, s: RunSummary) -> None:
        color = STATUS_COLORS.get(s.status, "#000")
        lines = [f"<b style='font-size:12pt'>{_escape(s.name)}</b> &nbsp; "
                 f"<span style='color:{color}'><b>{s.status}</b></span> &nbsp; "
                 f"{s.epochs_done}/{s.epochs_total} epochs &nbsp; {_escape(s.preset or 'custom')} "
                 f"on {_escape(s.dataset)}"]
        if s.problem:
            lines.append(f"<span style='color:#c62828'>Damaged: {_escape(s.problem)}. "
                         f"It can still be exported or deleted.</span>")
        try:
            message = self.run.info().get("message")
        except (OSError, ValueError):
            message = None
        if message:
            lines.append(f"<span style='color:#8d6e00'>{_escape(message)}</span>")
        lines.append(f"<span style='color:#777'>{s.id} · {_escape(str(s.path))}</span>")
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


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ---- dialogs -------------------------------------------------------------------------------

class GenerateOptionsDialog(QDialog):
    """How many images and which seed."""

    def __init__(self, parent=None, count: int = 64, seed: int = 0):
        super().__init__(parent)
        self.setWindowTitle("Generate images")
        self.count = QSpinBox(self)
        self.count.setRange(1, 1024)
        self.count.setValue(count)
        self.seed = QSpinBox(self)
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setValue(seed)
        form = QFormLayout(self)
        form.addRow("Images", self.count)
        form.addRow("Seed", self.seed)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


class GeneratedDialog(QDialog):
    """A generated grid, crisp, with Save as PNG (through the core's save_png)."""

    def __init__(self, grid, title: str, default_name: str, parent=None):
        super().__init__(parent)
        self.grid = grid
        self.default_name = default_name
        self.setWindowTitle(title)
        self.view = PixelView(self)
        self.view.set_image(array_to_image(grid))
        save = QPushButton("Save PNG…", self)
        save.clicked.connect(self._save)
        close = QPushButton("Close", self)
        close.clicked.connect(self.accept)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(save)
        row.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addLayout(row)
        self.resize(520, 560)

    def ask_save_path(self) -> str:
        path, _ = QFileDialog.getSaveFileName(self, "Save generated images", self.default_name, "PNG image (*.png)")
        if path and not path.lower().endswith(".png"):
            path += ".png"
        return path

    def save_to(self, path) -> None:
        from workbench.core.sampling import save_png

        save_png(self.grid, Path(path))

    def _save(self) -> None:
        path = self.ask_save_path()
        if path:
            self.save_to(path)


class ResumeDialog(QDialog):
    """Continue a run: to its planned total, or further by N extra epochs."""

    def __init__(self, summary: RunSummary, parent=None):
        super().__init__(parent)
        self.setWindowTitle(f"Resume {summary.name}")
        done, total = summary.epochs_done, summary.epochs_total
        self.extra = QSpinBox(self)
        self.extra.setRange(1 if done >= total else 0, 10000)
        self.extra.setValue(5 if done >= total else 0)
        self.extra.setSuffix(" more epochs")
        text = (f"{done} of {total} epochs are done. Training continues from the latest checkpoint "
                f"to epoch {total}, plus the extra epochs below.")
        label = QLabel(text, self)
        label.setWordWrap(True)
        self.total_label = QLabel(self)
        self.extra.valueChanged.connect(lambda v: self.total_label.setText(f"New total: {total + v} epochs"))
        self.extra.valueChanged.emit(self.extra.value())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Resume")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.extra)
        layout.addWidget(self.total_label)
        layout.addWidget(buttons)


# ---- the browser -----------------------------------------------------------------------------

ResumeCallback = Callable[[Run, "int | None"], None]
NewRunCallback = Callable[[object, "str | None"], None]
CompareCallback = Callable[[list], None]


class RunBrowser(QWidget):
    """The runs tab. `resume(run, extra_epochs)`, `new_run(config, preset)` and
    `compare(runs)` are callables given by whoever embeds it (see `install_runs_tab`)."""

    def __init__(self, store: RunStore | None = None, resume: ResumeCallback | None = None,
                 new_run: NewRunCallback | None = None, compare: CompareCallback | None = None,
                 palette: RunPalette | None = None, parent=None, poll_ms: int = POLL_MS):
        super().__init__(parent)
        self.store = store or RunStore()
        self.resume_callback = resume
        self.new_run_callback = new_run
        self.compare_callback = compare
        self.palette_ = palette or RunPalette(self)
        self._compare_windows: list[QWidget] = []
        self._last_export_dir = ""

        self.model = RunTableModel(self.store, self.palette_, self)
        self.proxy = RunFilterProxy(self)
        self.proxy.setSourceModel(self.model)

        self.filter_edit = QLineEdit(self)
        self.filter_edit.setObjectName("runFilter")
        self.filter_edit.setPlaceholderText("Filter runs: name, status, preset, dataset…  (Ctrl+F)")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self.proxy.set_filter_text)
        self.count_label = QLabel(self)

        self.table = QTableView(self)
        self.table.setObjectName("runTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COLUMNS.index("created"), Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setIconSize(QSize(THUMB_SIZE, THUMB_SIZE))
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(THUMB_SIZE + 4)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        for column, width in {"grid": THUMB_SIZE + 12, "name": 220, "status": 80, "preset": 95, "dataset": 95,
                              "epochs": 65, "d_loss": 70, "g_loss": 70, "created": 125, "duration": 75}.items():
            self.table.setColumnWidth(COLUMNS.index(column), width)
        header.setSectionResizeMode(COLUMNS.index("name"), QHeaderView.ResizeMode.Stretch)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._on_context_menu)
        self.table.doubleClicked.connect(lambda _index: self.open_selected())
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)

        self.details = RunDetails(self.palette_, self)
        self.details.notes_saved.connect(self._on_notes_saved)

        self._make_actions()
        buttons = QHBoxLayout()
        for action in (self.resume_action, self.new_run_action, self.generate_action, self.export_action,
                       self.compare_action, self.delete_action):
            button = QToolButton(self)
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            buttons.addWidget(button)
        more = QToolButton(self)
        more.setText("More")
        more.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        more_menu = QMenu(more)
        for action in (self.open_action, self.rename_action, self.notes_action, self.reveal_action,
                       self.refresh_action):
            more_menu.addAction(action)
        more.setMenu(more_menu)
        buttons.addWidget(more)
        buttons.addStretch(1)
        buttons.addWidget(self.count_label)

        top = QWidget(self)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.filter_edit)
        top_layout.addLayout(buttons)
        top_layout.addWidget(self.table, 1)
        self.splitter = splitter(self, Qt.Orientation.Vertical, [top, self.details], [3, 2], [420, 480])
        layout = QVBoxLayout(self)
        layout.addWidget(self.splitter)

        self.model.runs_changed.connect(self._on_runs_changed)
        self.model.runs_removed.connect(self._on_runs_removed)
        self.model.rowsInserted.connect(self._update_count)
        self.model.rowsRemoved.connect(self._update_count)
        self.proxy.layoutChanged.connect(self._update_count)
        self.filter_edit.textChanged.connect(self._update_count)

        # Live: the watcher notices runs appearing/disappearing at once, the poll notices
        # epochs advancing (files inside run folders) and trainers that died.
        self.watcher = QFileSystemWatcher(self)
        self.watcher.directoryChanged.connect(lambda _path: self._refresh_soon.start())
        self._refresh_soon = QTimer(self)
        self._refresh_soon.setSingleShot(True)
        self._refresh_soon.setInterval(150)
        self._refresh_soon.timeout.connect(self.refresh)
        self.poll_timer = QTimer(self)
        self.poll_timer.setInterval(poll_ms)
        self.poll_timer.timeout.connect(self.refresh)
        self.refresh()
        self.poll_timer.start()
        self._update_actions()

    # ---- actions -----------------------------------------------------------------------------
    def _make_actions(self) -> None:
        def action(text, slot, shortcut=None, tip=""):
            a = QAction(text, self)
            a.triggered.connect(lambda _checked=False: slot())
            if shortcut:
                a.setShortcut(QKeySequence(shortcut))
                a.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            a.setToolTip(f"{tip} ({QKeySequence(shortcut).toString()})" if shortcut and tip else tip)
            self.addAction(a)
            return a

        self.open_action = action("Open", self.open_selected, "Return", "Show the run's details")
        self.resume_action = action("Resume…", self.resume_selected, "Ctrl+R",
                                    "Continue training from the latest checkpoint, optionally longer")
        self.new_run_action = action("New run from config", self.new_run_from_selected, "Ctrl+Shift+N",
                                     "Fill the training form with this run's config")
        self.rename_action = action("Rename…", self.rename_selected, "F2", "Give the run a new name")
        self.notes_action = action("Edit notes", self.edit_notes_selected, "Ctrl+E", "Edit the run's notes")
        self.generate_action = action("Generate…", self.generate_selected, "Ctrl+G",
                                      "Draw new images from the run's generator")
        self.export_action = action("Export…", self.export_selected, "Ctrl+Shift+E",
                                    "Write config, metrics CSV, grids and generator weights to a folder")
        self.delete_action = action("Delete…", self.delete_selected, QKeySequence.StandardKey.Delete,
                                    "Delete the run folders")
        self.reveal_action = action("Reveal in file manager", self.reveal_selected, "Ctrl+Shift+R",
                                    "Open the run's folder")
        self.compare_action = action("Compare", self.compare_selected, "Ctrl+Shift+C",
                                     f"Compare 2 to {MAX_COMPARE} selected runs side by side")
        self.refresh_action = action("Refresh", self.refresh, "F5", "Re-read the runs folder")
        focus_filter = QAction(self)
        focus_filter.setShortcut(QKeySequence.StandardKey.Find)
        focus_filter.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        focus_filter.triggered.connect(lambda: self.filter_edit.setFocus())
        self.addAction(focus_filter)

    def build_context_menu(self) -> QMenu:
        menu = QMenu(self)
        for a in (self.open_action, self.resume_action, self.new_run_action, None, self.rename_action,
                  self.notes_action, None, self.generate_action, self.export_action, self.compare_action,
                  self.reveal_action, None, self.delete_action):
            menu.addSeparator() if a is None else menu.addAction(a)
        return menu

    def _on_context_menu(self, pos: QPoint) -> None:
        self.build_context_menu().exec(self.table.viewport().mapToGlobal(pos))

    def _update_actions(self) -> None:
        selected = self.selected_summaries()
        one = selected[0] if len(selected) == 1 else None
        healthy = one is not None and one.status != "damaged"
        for a in (self.open_action, self.rename_action, self.notes_action, self.reveal_action,
                  self.export_action):
            a.setEnabled(one is not None)
        self.resume_action.setEnabled(healthy and one.status != "running")
        self.new_run_action.setEnabled(healthy)
        self.generate_action.setEnabled(healthy and one.epochs_done > 0)
        self.delete_action.setEnabled(bool(selected))
        self.compare_action.setEnabled(2 <= len(selected) <= MAX_COMPARE)

    # ---- selection ---------------------------------------------------------------------------
    def selected_ids(self) -> list[str]:
        rows = self.table.selectionModel().selectedRows()
        return [index.data(RUN_ID_ROLE) for index in sorted(rows, key=lambda i: i.row())]

    def selected_summaries(self) -> list[RunSummary]:
        out = []
        for run_id in self.selected_ids():
            s = self.model.summary_of(run_id)
            if s is not None:
                out.append(s)
        return out

    def selected_runs(self) -> list[Run]:
        return [Run(s.path) for s in self.selected_summaries()]

    def select_runs(self, run_ids: list[str]) -> None:
        """Select these runs in the table (the first becomes current)."""
        from PySide6.QtCore import QItemSelection, QItemSelectionModel

        selection = QItemSelection()
        for run_id in run_ids:
            row = self.model.row_of(run_id)
            if row is None:
                continue
            index = self.proxy.mapFromSource(self.model.index(row, 0))
            if index.isValid():
                selection.select(index, index)
        flags = (QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.table.selectionModel().select(selection, flags)
        if run_ids and self.model.row_of(run_ids[0]) is not None:
            index = self.proxy.mapFromSource(self.model.index(self.model.row_of(run_ids[0]), 0))
            self.table.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.NoUpdate)
            self.table.scrollTo(index)

    def _on_selection_changed(self, *_args) -> None:
        self._update_actions()
        selected = self.selected_summaries()
        if len(selected) == 1:
            s = selected[0]
            if self.details.run is None or self.details.run.id != s.id:
                self.details.show_run(Run(s.path), s)
        elif not selected:
            self.details.show_run(None)

    # ---- refresh -------------------------------------------------------------------------------
    def refresh(self) -> bool:
        root = self.store.root
        watch = str(root) if root.is_dir() else str(root.parent) if root.parent.is_dir() else None
        if watch and watch not in self.watcher.directories():
            if self.watcher.directories():
                self.watcher.removePaths(self.watcher.directories())
            self.watcher.addPath(watch)
        return self.model.refresh()

    def _on_runs_changed(self, run_ids: list) -> None:
        self._update_actions()
        if self.details.run is not None and self.details.run.id in run_ids:
            self.details.update_run(self.model.summary_of(self.details.run.id))

    def _on_runs_removed(self, run_ids: list) -> None:
        if self.details.run is not None and self.details.run.id in run_ids:
            self.details.show_run(None)
        self._update_actions()

    def _update_count(self, *_args) -> None:
        total, shown = self.model.rowCount(), self.proxy.rowCount()
        self.count_label.setText(f"{total} runs" if shown == total else f"{shown} of {total} runs")

    def _on_notes_saved(self, run_id: str) -> None:
        self.model.forget(run_id)
        self.refresh()

    # ---- what the actions do -------------------------------------------------------------------
    def _one(self) -> RunSummary | None:
        selected = self.selected_summaries()
        return selected[0] if len(selected) == 1 else None

    def open_selected(self) -> None:
        s = self._one()
        if s is not None:
            self.details.show_run(Run(s.path), s)
            self.details.setFocus()

    def resume_selected(self) -> bool:
        """Ask how many extra epochs, then hand the run to the training window."""
        s = self._one()
        if s is None:
            return False
        run = Run(s.path)
        if s.status == "damaged":
            self.show_error("Cannot resume", f"{s.name} is damaged: {s.problem}.")
            return False
        if run.is_locked():
            self.show_error("Cannot resume", f"{s.name} is being trained right now.")
            return False
        if not run.latest_checkpoint.exists() and s.epochs_done:
            self.show_error("Cannot resume", f"{s.name} has no checkpoint to continue from.")
            return False
        extra = self.ask_resume_epochs(s)
        if extra is None:
            return False
        if self.resume_callback is None:
            self.show_error("Cannot resume", "The training window is not available.")
            return False
        self.resume_callback(run, extra or None)
        return True

    def new_run_from_selected(self) -> bool:
        s = self._one()
        if s is None:
            return False
        from workbench.core.config import ConfigError

        try:
            config = Run(s.path).config()
        except ConfigError as e:
            self.show_error("Cannot read config", f"The config of {s.name} cannot be used:\n{e}")
            return False
        if self.new_run_callback is None:
            self.show_error("Cannot start a run", "The training window is not available.")
            return False
        self.new_run_callback(config, s.preset)
        return True

    def rename_selected(self) -> bool:
        s = self._one()
        if s is None:
            return False
        name = self.ask_new_name(s)
        if name is None or not name.strip() or name.strip() == s.name:
            return False
        Run(s.path).update_info(name=name.strip())
        self.model.forget(s.id)
        self.refresh()
        return True

    def edit_notes_selected(self) -> None:
        s = self._one()
        if s is None:
            return
        if self.details.run is None or self.details.run.id != s.id:
            self.details.show_run(Run(s.path), s)
        self.details.tabs.setCurrentIndex(1)
        self.details.notes_edit.setFocus()

    def generate_selected(self) -> bool:
        s = self._one()
        if s is None:
            return False
        options = self.ask_generate_options()
        if options is None:
            return False
        count, seed = options
        from workbench.core.checkpoints import CheckpointError
        from workbench.core.config import ConfigError
        from workbench.core.sampling import generate

        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            grid = generate(Run(s.path), count, seed)
        except (CheckpointError, ConfigError, RuntimeError) as e:
            self.show_error("Cannot generate", f"{s.name}: {e}")
            return False
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.show_generated(s, grid, count, seed)
        return True

    def export_selected(self) -> list[Path]:
        s = self._one()
        if s is None:
            return []
        folder = self.choose_export_dir(s)
        if not folder:
            return []
        from workbench.core.export import export_run

        out = Path(folder) / s.id
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            written = export_run(Run(s.path), out)
        except OSError as e:
            self.show_error("Export failed", f"Could not write to {out}: {e}")
            return []
        finally:
            QGuiApplication.restoreOverrideCursor()
        notes = getattr(written, "notes", [])
        text = f"Wrote {len(written)} files to {out}." + ("\n\n" + "\n".join(notes) if notes else "")
        self.show_message("Exported", text)
        return written

    def delete_selected(self) -> list[str]:
        """Ask, then delete; a run being trained is refused with the reason. Returns the ids deleted."""
        selected = self.selected_summaries()
        if not selected or not self.confirm_delete(selected):
            return []
        deleted, refused = [], []
        for s in selected:
            run = Run(s.path)
            try:
                if run.is_locked():
                    raise RunLocked(f"{s.name} is being trained; stop it before deleting.")
                self.store.delete(run)
                deleted.append(s.id)
            except RunLocked as e:
                refused.append(str(e))
            except OSError as e:
                refused.append(f"{s.name}: {e}")
        self.refresh()
        if refused:
            self.show_error("Not deleted", "\n".join(refused))
        return deleted

    def reveal_selected(self) -> None:
        s = self._one()
        if s is not None:
            self.open_url(QUrl.fromLocalFile(str(s.path)))

    def compare_selected(self):
        runs = self.selected_runs()
        if not 2 <= len(runs) <= MAX_COMPARE:
            self.show_error("Compare", f"Select 2 to {MAX_COMPARE} runs to compare.")
            return None
        if self.compare_callback is not None:
            return self.compare_callback(runs)
        from workbench.gui.compare_view import CompareView

        view = CompareView(runs, palette=self.palette_)
        view.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        view.setWindowTitle(f"Compare {len(runs)} runs")
        view.resize(1400, 900)
        view.destroyed.connect(lambda *_: self._compare_windows.remove(view) if view in self._compare_windows else None)
        self._compare_windows.append(view)
        view.show()
        return view

    # ---- UI state (QSettings) ------------------------------------------------------------------
    def save_state(self, settings) -> None:
        settings.setValue("runs/splitter", self.splitter.saveState())
        settings.setValue("runs/details_splitter", self.details.splitter.saveState())
        settings.setValue("runs/header", self.table.horizontalHeader().saveState())
        settings.setValue("runs/export_dir", self._last_export_dir)

    def restore_state(self, settings) -> None:
        from PySide6.QtCore import QByteArray

        for key, target in (("runs/splitter", self.splitter), ("runs/details_splitter", self.details.splitter),
                            ("runs/header", self.table.horizontalHeader())):
            state = settings.value(key)
            if isinstance(state, QByteArray):
                target.restoreState(state)
        folder = settings.value("runs/export_dir", "")
        self._last_export_dir = folder if isinstance(folder, str) else ""

    # ---- questions to the user (replace in tests) ----------------------------------------------
    def ask_resume_epochs(self, summary: RunSummary) -> int | None:
        """Extra epochs beyond the planned total (0: just finish), or None to cancel."""
        dialog = ResumeDialog(summary, self)
        return dialog.extra.value() if dialog.exec() == QDialog.DialogCode.Accepted else None

    def ask_new_name(self, summary: RunSummary) -> str | None:
        name, ok = QInputDialog.getText(self, "Rename run", "Name:", QLineEdit.EchoMode.Normal, summary.name)
        return name if ok else None

    def ask_generate_options(self) -> tuple[int, int] | None:
        dialog = GenerateOptionsDialog(self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.count.value(), dialog.seed.value()

    def show_generated(self, summary: RunSummary, grid, count: int, seed: int) -> None:
        dialog = GeneratedDialog(grid, f"{summary.name}: {count} images, seed {seed}",
                                 f"{summary.id}-seed{seed}.png", self)
        dialog.exec()

    def choose_export_dir(self, summary: RunSummary) -> str | None:
        folder = QFileDialog.getExistingDirectory(self, f"Export {summary.name} into folder",
                                                  self._last_export_dir)
        if folder:
            self._last_export_dir = folder
        return folder or None

    def confirm_delete(self, summaries: list[RunSummary]) -> bool:
        names = "\n".join(f"• {s.name} ({s.epochs_done} epochs)" for s in summaries[:10])
        if len(summaries) > 10:
            names += f"\n… and {len(summaries) - 10} more"
        answer = QMessageBox.question(
            self, "Delete runs", f"Delete {len(summaries)} run(s) and all their files?\n\n{names}",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def show_message(self, title: str, text: str) -> None:
        QMessageBox.information(self, title, text)

    def show_error(self, title: str, text: str) -> None:
        QMessageBox.warning(self, title, text)

    def open_url(self, url: QUrl) -> bool:
        return QDesktopServices.openUrl(url)


def install_runs_tab(main_window, training_view, store: RunStore | None = None) -> RunBrowser:
    """Add the Runs tab to the main window, wired to the training view: resume and
    "new run from config" go to it (and bring it forward), comparisons open as their own tabs.

    Uses only `main_window.add_tab` (and `show_tab` when it has one) and the training view's
    `resume_run` / `load_config`."""
    browser: RunBrowser | None = None
    show_tab = getattr(main_window, "show_tab", None)

    def resume(run: Run, extra_epochs: int | None) -> None:
        if training_view.resume_run(run, extra_epochs=extra_epochs) is not False and show_tab:
            show_tab(training_view)

    def new_run(config, preset: str | None) -> None:
        if training_view.load_config(config, preset=preset) is not False and show_tab:
            show_tab(training_view)

    def compare(runs: list[Run]):
        from workbench.gui.compare_view import CompareView

        view = CompareView(runs, palette=browser.palette_)
        main_window.add_tab(view, f"Compare {len(runs)} runs")
        if show_tab:
            show_tab(view)
        return view

    browser = RunBrowser(store, resume=resume, new_run=new_run, compare=compare)
    main_window.add_tab(browser, "Runs")
    from PySide6.QtWidgets import QApplication

    from workbench.gui.ui_settings import ui_settings

    browser.restore_state(ui_settings())
    app = QApplication.instance()
    if app is not None:  # the main window saves its own state on close; ours goes on quit
        app.aboutToQuit.connect(lambda: browser.save_state(ui_settings()))
    return browser
