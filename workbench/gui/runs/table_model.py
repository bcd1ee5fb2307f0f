"""The runs table: one row per RunSummary, typed sort keys, an every-word filter, thumbnails.

Listing reads JSON and thumbnails only (never torch) through `core.listing.SummaryCache`, and
`RunTableModel.refresh()` updates rows in place, so selection and scroll survive a live refresh.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QImage, QPixmap

from workbench.core.store.listing import SummaryCache
from workbench.core.store.runs import RunStore, RunSummary
from workbench.core.store.scores import CONDITIONAL_KEYS, SCORE_KEYS
from workbench.core.store.status import RunStatus
from workbench.gui.formatting import format_created, format_duration, format_loss
from workbench.gui.plots.colours import STATUS_COLORS, RunPalette

THUMB_SIZE = 40

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
RUN_ID_ROLE = Qt.ItemDataRole.UserRole + 2
FILTER_ROLE = Qt.ItemDataRole.UserRole + 3
MISSING_ROLE = Qt.ItemDataRole.UserRole + 4  # a number column without a value: sorts last either way

#: quality, precision, recall, density, coverage, class_balance, then a conditional run's class accuracy and
#: intra-class score: RunSummary fields
SCORE_COLUMNS = (*SCORE_KEYS, *CONDITIONAL_KEYS)
COLUMNS = ("grid", "name", "status", "preset", "dataset", "epochs", "d_loss", "g_loss", SCORE_COLUMNS[0], "best",
           *SCORE_COLUMNS[1:], "created", "duration", "lineage")  # the best epoch right after the quality
HEADERS = {"grid": "Grid", "name": "Name", "lineage": "Lineage", "status": "Status", "preset": "Preset",
           "dataset": "Dataset",
           "epochs": "Epochs", "d_loss": "D loss", "g_loss": "G loss", "quality": "Quality", "best": "Best",
           "precision": "Precision", "recall": "Recall", "density": "Density", "coverage": "Coverage",
           "class_balance": "Class balance", "class_accuracy": "Class acc.", "intra_quality": "Intra-class",
           "created": "Created", "duration": "Duration"}
HEADER_TIPS = {
    "lineage": "Forks: the run each was forked from and the epoch; sorted by this column, each fork comes "
               "right under its parent, its name indented (↳); a run with forks says how many",
    "quality": "Fréchet score of the last evaluated epoch, lower is better",
    "best": "The epoch with the lowest Fréchet score and that score: the run keeps its checkpoint (best.pt), "
            "and Generate, sample and export use it",
    "precision": "Precision of the last evaluated epoch: the share of generated samples that look like real "
                 "images (fidelity, 0 to 1)",
    "recall": "Recall of the last evaluated epoch: the share of real images the generated samples reach "
              "(diversity, 0 to 1; low when the generator collapses onto a few kinds)",
    "density": "Density of the last evaluated epoch: how many real neighbourhoods hold a generated sample, "
               "about 1 for samples like the real images (fidelity)",
    "coverage": "Coverage of the last evaluated epoch: the share of real images with a generated sample "
                "nearby (diversity, 0 to 1)",
    "class_balance": "Class balance of the last evaluated epoch: 1 when the generated samples spread evenly "
                     "over the classes, 0 when one class takes them all",
    "class_accuracy": "Class accuracy of the last evaluated epoch of a conditional run: the share of samples "
                      "drawn for a class that the judging classifier calls that class (0 to 1)",
    "intra_quality": "Intra-class Fréchet score of the last evaluated epoch of a conditional run: the mean over "
                     "classes of the score between a class's samples and its real images, lower is better",
}
NOT_MEASURED = "Not measured: the last evaluated epoch was scored before this score existed (Evaluate it again)"
NUMBER_FIELDS = {"d_loss": "last_d_loss", "g_loss": "last_g_loss", **{c: c for c in SCORE_COLUMNS},
                 "duration": "duration"}
STATUS_ORDER = {s: i for i, s in enumerate((RunStatus.RUNNING, RunStatus.CREATED, RunStatus.STOPPED, RunStatus.PRUNED,
                                             RunStatus.FINISHED, RunStatus.FAILED, RunStatus.DAMAGED))}


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
        if (added or removed) and self._rows:  # a parent's count of forks, a fork's parent gone
            lineage = COLUMNS.index("lineage")
            self.dataChanged.emit(self.index(0, lineage), self.index(len(self._rows) - 1, lineage))
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
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return HEADER_TIPS.get(COLUMNS[section])
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        s = self._rows[index.row()]
        column = COLUMNS[index.column()]
        if column == "lineage" and role in (Qt.ItemDataRole.DisplayRole, SORT_ROLE):
            return self._lineage(s, role == SORT_ROLE)
        if column == "name" and role == Qt.ItemDataRole.DisplayRole and s.parent:
            return "   " * (len(self._lineage(s, True)) - 2) + "↳ " + s.name  # indented under its parent
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(s, column)
        if role == SORT_ROLE:
            return self._sort_key(s, column)
        if role == RUN_ID_ROLE:
            return s.id
        if role == MISSING_ROLE:
            if column == "best":
                return s.best is None
            return column in NUMBER_FIELDS and not isinstance(getattr(s, NUMBER_FIELDS[column]), (int, float))
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
            if column == "status" and s.status is RunStatus.RUNNING:
                return "Being trained now (possibly by another process)"
            if column in HEADER_TIPS:
                if getattr(s, column) is not None:
                    return HEADER_TIPS[column]
                if column in CONDITIONAL_KEYS and s.quality is not None:
                    return "Measured for conditional runs (condition: class) only"
                return NOT_MEASURED if s.quality is not None else "Not evaluated yet"
        if role == Qt.ItemDataRole.ForegroundRole and column == "status":
            return QColor(STATUS_COLORS.get(s.status, "#000"))
        if (role == Qt.ItemDataRole.FontRole and column == "status"
                and s.status in (RunStatus.RUNNING, RunStatus.DAMAGED)):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and column in ("epochs", "best", *NUMBER_FIELDS):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _lineage(self, s: RunSummary, sort: bool):
        """The lineage cell: a fork's "parent @ E"; a run with forks, how many. Its sort key is
        the chain of (created, id) from the root down, so ascending puts each fork right under
        its parent."""
        chain, run = [(s.created, s.id)], s
        while run.parent and len(chain) < 100:
            parent = self.summary_of(run.parent)
            if parent is None:
                break
            chain.insert(0, (parent.created, parent.id))
            run = parent
        if sort:
            return tuple(chain)
        if s.parent:
            parent = self.summary_of(s.parent)
            name = parent.name if parent else f"{s.parent} (deleted)"
            return f"{name} @ {s.parent_epoch}"
        forks = sum(1 for other in self._rows if other.parent == s.id)
        return f"{forks} fork{'s' if forks != 1 else ''}" if forks else ""

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
        if column in SCORE_COLUMNS:
            value = getattr(s, column)
            return "" if value is None else f"{value:.2f}"
        if column == "best":
            return "" if s.best is None else s.best.describe()
        if column == "created":
            return format_created(s.created)
        if column == "duration":
            return format_duration(s.duration)
        return None

    @staticmethod
    def _sort_key(s: RunSummary, column: str):
        """Comparable keys; missing numbers sort last (the proxy keeps them last descending too)."""
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
            **{c: (number(getattr(s, c)), s.id) for c in SCORE_COLUMNS},
            "best": (number(s.best.quality if s.best else None), s.id),
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
        missing_left, missing_right = bool(left.data(MISSING_ROLE)), bool(right.data(MISSING_ROLE))
        if missing_left != missing_right:  # rows without a value go last in both directions
            return missing_left if self.sortOrder() == Qt.SortOrder.DescendingOrder else missing_right
        return left.data(SORT_ROLE) < right.data(SORT_ROLE)
