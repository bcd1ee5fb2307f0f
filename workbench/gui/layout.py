"""Small layout helpers shared by the views."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QWidget


def splitter(parent: QWidget, orientation: Qt.Orientation, widgets: list[QWidget], stretches: list[int],
             sizes: list[int] | None = None, name: str | None = None) -> QSplitter:
    """A QSplitter holding `widgets` with their stretch factors (and initial sizes)."""
    split = QSplitter(orientation, parent)
    if name:
        split.setObjectName(name)
    for index, (widget, stretch) in enumerate(zip(widgets, stretches)):
        split.addWidget(widget)
        split.setStretchFactor(index, stretch)
    if sizes:
        split.setSizes(sizes)
    return split
