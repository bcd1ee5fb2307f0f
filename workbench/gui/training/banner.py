"""The training tab's message banner: errors, warnings and notices inline at the top of the tab,
read rather than clicked away. A long message scrolls inside the banner (at most MAX_LINES show),
so it never pushes the window past a small screen."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea

BANNER_STYLES = {
    "error": "background: #fdecea; border: 1px solid #e0a8a2; color: #611a15;",
    "warning": "background: #fff4e5; border: 1px solid #e8c48e; color: #663c00;",
    "info": "background: #e8f4fd; border: 1px solid #9cc7ea; color: #0d3c61;",
}
MAX_LINES = 3


class _MessageScroll(QScrollArea):
    """The message's scroll area: as small as one line of it (a scroll area's own minimum is a
    generic 70 px square)."""

    def minimumSizeHint(self) -> QSize:
        metrics = self.fontMetrics()
        return QSize(metrics.averageCharWidth() * 10, metrics.lineSpacing())


class MessageBanner(QFrame):
    """An inline message with a dismiss button: errors are read, not clicked away."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("messageBanner")
        self.text_label = QLabel(self)
        self.text_label.setObjectName("messageText")
        self.text_label.setWordWrap(True)
        self.text_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.scroll = _MessageScroll(self)
        self.scroll.setObjectName("messageScroll")
        self.scroll.setWidget(self.text_label)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.close_button = QPushButton("Dismiss", self)
        self.close_button.setObjectName("dismissButton")
        self.close_button.clicked.connect(self.hide)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 6, 6)
        row.addWidget(self.scroll, 1)
        row.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.kind = ""
        self.hide()

    def show_message(self, text: str, kind: str = "error") -> None:
        self.kind = kind
        self.setStyleSheet(f"#messageBanner {{ {BANNER_STYLES.get(kind, BANNER_STYLES['info'])} border-radius: 4px; }}"
                           f" #messageScroll, #messageScroll > QWidget, #messageText "
                           f"{{ border: none; background: transparent; }}")
        self.text_label.setText(text)
        self.show()
        self._fit_height()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_height()

    def _fit_height(self) -> None:
        """As tall as the wrapped text, up to MAX_LINES lines; more scrolls."""
        line = self.text_label.fontMetrics().lineSpacing()
        width = self.scroll.viewport().width()
        needed = self.text_label.heightForWidth(width) if width > 0 else line
        self.scroll.setFixedHeight(max(line, min(needed, line * MAX_LINES + 2)))
