"""Windows that fit the screen they open on: a preferred size bounded by the screen's available
geometry (what the task bar and panels leave), and restored geometry pulled back onto a screen
that is still there.

Before a window is first shown its frame (title bar, borders) is not known yet, so an allowance
is kept for it; calling `clamp_to_screen` once it is on screen corrects with the real frame.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QWidget

#: room for the window manager's title bar and borders before the real frame is known
FRAME_ALLOWANCE = QSize(8, 38)


def screen_for(rect: QRect) -> QScreen | None:
    """The screen that shows most of `rect`, else the one under its centre, else the primary."""
    best, best_area = None, 0
    for screen in QGuiApplication.screens():
        overlap = screen.availableGeometry().intersected(rect)
        area = overlap.width() * overlap.height() if not overlap.isEmpty() else 0
        if area > best_area:
            best, best_area = screen, area
    return best or QGuiApplication.screenAt(rect.center()) or QGuiApplication.primaryScreen()


def fit_rect(rect: QRect, available: QRect, frame: QSize) -> QRect:
    """`rect` (the window's inside) made to fit `available` with its `frame` around it: no larger,
    then moved inside, keeping its place when it already fits."""
    room = QSize(max(1, available.width() - frame.width()), max(1, available.height() - frame.height()))
    size = rect.size().boundedTo(room)
    # the top-left of the inside may sit from `frame`'s left/top share to where the frame still fits
    left_pad, top_pad = frame.width() // 2, frame.height() - frame.width() // 2
    x = min(max(rect.x(), available.left() + left_pad), available.left() + left_pad + room.width() - size.width())
    y = min(max(rect.y(), available.top() + top_pad), available.top() + top_pad + room.height() - size.height())
    return QRect(QPoint(x, y), size)


def _frame(window: QWidget) -> QSize:
    """The frame the window manager puts around `window`, or the allowance before the first show."""
    if window.isVisible():
        outer, inner = window.frameGeometry(), window.geometry()
        return QSize(outer.width() - inner.width(), outer.height() - inner.height())
    return FRAME_ALLOWANCE


def open_fitted(window: QWidget, preferred: QSize) -> None:
    """Size `window` at `preferred`, at most what its screen has room for, centred there."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        window.resize(preferred)
        return
    available = screen.availableGeometry()
    inside = QRect(QPoint(0, 0), preferred)
    inside.moveCenter(available.center())
    window.setGeometry(fit_rect(inside, available, _frame(window)))


def clamp_to_screen(window: QWidget) -> bool:
    """Pull `window` (e.g. after `restoreGeometry`) onto the screen showing most of it, no larger
    than that screen has room for; True when it had to move or shrink."""
    if window.isMaximized() or window.isFullScreen():
        return False
    geometry = window.geometry()
    screen = screen_for(window.frameGeometry())
    if screen is None:
        return False
    fitted = fit_rect(geometry, screen.availableGeometry(), _frame(window))
    if fitted == geometry:
        return False
    window.setGeometry(fitted)
    return True
