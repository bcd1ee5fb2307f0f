"""Every colour the app draws with, in one place: the series (D and G, real and fake, quality
and class balance), run statuses, and one colour per run, shared by the run list (a swatch by the
name) and the compare view (its curves, toggles and grid captions), so a run looks the same
everywhere."""

from __future__ import annotations

import zlib

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap

from workbench.core.store.status import RunStatus

D_COLOR, G_COLOR = "#d62728", "#1f77b4"
REAL_COLOR, FAKE_COLOR = "#2ca02c", "#ff7f0e"
QUALITY_COLOR, BALANCE_COLOR = "#9467bd", "#17becf"
STATUS_COLORS = {RunStatus.RUNNING: "#1565c0", RunStatus.FINISHED: "#2e7d32", RunStatus.STOPPED: "#8d6e00",
                 RunStatus.FAILED: "#c62828", RunStatus.DAMAGED: "#c62828", RunStatus.CREATED: "#616161",
                 RunStatus.PRUNED: "#6a1b9a"}

# Matplotlib's tab10 without grey and olive: distinct on white, and 8 is the compare limit.
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf")


class RunPalette(QObject):
    """A run's colour: the palette in turn as runs are first listed (oldest first, so
    neighbours in the list differ), reassigned when a comparison needs distinct ones."""

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._chosen: dict[str, str] = {}
        self._next = 0
        self._icons: dict[str, QIcon] = {}

    def register(self, run_ids) -> None:
        """Give runs not seen before the next colours of the palette, in this order."""
        for run_id in run_ids:
            if run_id not in self._chosen:
                self._chosen[run_id] = PALETTE[self._next % len(PALETTE)]
                self._next += 1

    def color(self, run_id: str) -> QColor:
        """The run's colour; one never registered gets a stable colour from its id."""
        return QColor(self._chosen.get(run_id) or PALETTE[zlib.crc32(run_id.encode()) % len(PALETTE)])

    def assign_distinct(self, run_ids: list[str]) -> list[QColor]:
        """Colours for runs shown together, all different (up to len(PALETTE) runs); the
        choice sticks, so the list's swatches match the comparison."""
        used, changed = set(), False
        for run_id in run_ids:
            name = self.color(run_id).name()
            if name in used:
                name = next((c for c in PALETTE if c not in used), name)
                self._chosen[run_id] = name
                changed = True
            used.add(name)
        if changed:
            self._icons.clear()
            self.changed.emit()
        return [self.color(r) for r in run_ids]

    def swatch(self, run_id: str, size: int = 12) -> QIcon:
        key = f"{run_id}:{size}"
        if key not in self._icons:
            self._icons[key] = swatch_icon(self.color(run_id), size)
        return self._icons[key]


def swatch_icon(color: QColor, size: int = 12) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(color)
    painter.setPen(color.darker(130))
    painter.drawRoundedRect(1, 1, size - 2, size - 2, 3, 3)
    painter.end()
    return QIcon(pixmap)
