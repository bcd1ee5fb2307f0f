"""Small layout helpers shared by the views: splitters, and a label that gives way."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QLabel, QSplitter, QWidget

ELIDED_MIN_CHARS = 8  # an elided label keeps room for about this many characters


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


class ElidedLabel(QLabel):
    """One line of plain text that ends in "…" when it does not fit; the full text is then its
    tooltip. Its minimum width is a few characters, so it never holds a layout wider."""

    def __init__(self, text: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self._full = ""
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setText(text)

    def setText(self, text: str) -> None:
        self._full = text
        self._elide()
        self.updateGeometry()

    def full_text(self) -> str:
        return self._full

    def sizeHint(self) -> QSize:
        metrics = self.fontMetrics()
        return QSize(metrics.horizontalAdvance(self._full) + 8, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:
        return QSize(self.fontMetrics().averageCharWidth() * ELIDED_MIN_CHARS, super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        width = self.contentsRect().width()
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, width)
        super().setText(shown)
        self.setToolTip(self._full if shown != self._full else "")


class Panel(QWidget):
    """A QWidget whose minimum height counts its wrapped labels at its present width: splitters
    and stacked widgets ask only for the minimum size hint, so without this a label that wraps to
    more lines pushes the widgets under it out of the panel."""

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        layout = self.layout()
        # only once laid out: a hidden page's stale width would wrap into lines it will never show
        if layout is not None and layout.hasHeightForWidth() and self.isVisible() and self.width() > 0:
            hint.setHeight(max(hint.height(), layout.totalMinimumHeightForWidth(self.width())))
        return hint

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            self.updateGeometry()  # the wrapped labels' height changes with the width

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.updateGeometry()
