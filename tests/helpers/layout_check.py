"""What a small screen does to a window: widgets outside it or cut off by their parent, or
squeezed below their minimum size hint. Content inside a scroll area's viewport is skipped (it
scrolls into view); the scroll area itself is checked like any widget."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QSizePolicy,
    QSplitterHandle,
    QWidget,
)

#: widgets that place their own parts (headers, scroll bars, a spin box's text): their parts are
#: theirs to size, not a layout's
SELF_PLACING = (QAbstractScrollArea, QAbstractSpinBox, QComboBox)

#: screens the window must be usable on, and the room a window gets there once a task bar or panel
#: (40 px) and the window manager's title bar (32 px) have taken theirs
SCREENS = {"1280x720": QSize(1280, 720), "1366x768": QSize(1366, 768)}
DESKTOP_ALLOWANCE = QSize(0, 72)


def window_room(screen: str) -> QSize:
    """The inside of a window filling the named screen's available area."""
    return SCREENS[screen] - DESKTOP_ALLOWANCE


def _scrolled(widget: QWidget, top: QWidget) -> bool:
    """True when `widget` sits inside a scroll area's viewport below `top` (it scrolls into view)."""
    parent = widget.parentWidget()
    while parent is not None and parent is not top:
        grand = parent.parentWidget()
        if isinstance(grand, QAbstractScrollArea) and parent is grand.viewport():
            return True
        parent = grand
    return False


def _minimum(widget: QWidget) -> QSize:
    """The larger of the widget's minimum size hint (unless its size policy ignores hints) and its
    explicit minimum size: an explicit minimum below the hint lets a layout squeeze the widget's
    own contents out of it."""
    hint, explicit, policy = widget.minimumSizeHint(), widget.minimumSize(), widget.sizePolicy()
    width = 0 if policy.horizontalPolicy() == QSizePolicy.Policy.Ignored else hint.width()
    height = 0 if policy.verticalPolicy() == QSizePolicy.Policy.Ignored else hint.height()
    return QSize(max(width, explicit.width(), 0), max(height, explicit.height(), 0))


def settle(top: QWidget, rounds: int = 10) -> None:
    """Let layouts finish: a label that wraps to more lines asks its panel for more room, which
    lays out again on the next turn of the event loop."""
    before = None
    for _ in range(rounds):
        QApplication.processEvents()
        now = [(w, w.geometry().getRect()) for w in top.findChildren(QWidget) if w.isVisible()]
        if now == before:
            return
        before = now


def layout_problems(top: QWidget) -> list[str]:
    """Every visible widget of `top`'s window that lies outside it or is smaller than its minimum
    size hint, described in words (empty when the window reads as laid out)."""
    settle(top)
    bounds = top.rect()
    problems = []
    for widget in top.findChildren(QWidget):
        if not widget.isVisible() or widget.window() is not top or _scrolled(widget, top):
            continue
        if isinstance(widget, QSplitterHandle) or isinstance(widget.parentWidget(), SELF_PLACING):
            continue
        name = f"{type(widget).__name__} {widget.objectName() or ''}".strip()
        text = getattr(widget, "text", None)
        if callable(text) and text():
            name += f" “{text()[:40]}”"
        place = QRect(widget.mapTo(top, QPoint(0, 0)), widget.size())
        parent = widget.parentWidget()
        if not bounds.contains(place):
            problems.append(f"{name} at {place.getRect()} is outside the window {bounds.getRect()}")
        elif parent is not top and not parent.rect().contains(widget.geometry()):
            problems.append(f"{name} at {widget.geometry().getRect()} is cut off by its parent "
                            f"{type(parent).__name__} {parent.objectName()} of {parent.size().toTuple()}")
        need = _minimum(widget)
        if widget.width() < need.width() or widget.height() < need.height():
            problems.append(f"{name} is {widget.width()}×{widget.height()}, below its minimum "
                            f"{need.width()}×{need.height()}")
    return problems
