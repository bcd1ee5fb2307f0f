"""EpochGridView: one fixed-noise sample grid per epoch, shown crisp, with an epoch slider.

Used by the live training view and by the run browser / compare view, so it knows nothing
about training: it holds `{epoch: grid}` where a grid is a uint8 array, (H, W) greyscale or
(H, W, 3) RGB, or a PNG path (read lazily, only when that epoch is shown).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QKeyEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

PLAY_INTERVAL_MS = 250
INTEGER_ZOOM_MIN_FILL = 0.8


def array_to_image(grid: np.ndarray) -> QImage:
    """A uint8 array as a QImage that owns its pixels: (H, W) greyscale, (H, W, 3) RGB.

    The QImage first wraps the array's buffer (rows `bytesPerLine` apart: a colour row of an odd
    width is not 4-byte aligned, the default QImage assumes) and is copied while `data` is alive."""
    data = np.ascontiguousarray(grid, dtype=np.uint8)
    if data.ndim == 2:
        fmt, depth = QImage.Format.Format_Grayscale8, 1
    elif data.ndim == 3 and data.shape[2] == 3:
        fmt, depth = QImage.Format.Format_RGB888, 3
    else:
        raise ValueError(f"a grid is a (H, W) or (H, W, 3) uint8 array, got shape {data.shape}")
    h, w = data.shape[:2]
    return QImage(data.data, w, h, w * depth, fmt).copy()


class PixelView(QWidget):
    """Paints a QImage scaled to fit with nearest-neighbour sampling, so digits stay crisp.

    Whole-number zoom factors are used when they fill most of the space, so every source
    pixel becomes the same number of screen pixels; otherwise nearest-neighbour at the fitting
    scale (still hard pixel edges, a few one pixel wider than others). A left click on the image
    emits `clicked` with the image pixel under the mouse.
    """

    clicked = Signal(int, int)  # x, y in the image's own pixels

    def __init__(self, parent=None):
        super().__init__(parent)
        self._image: QImage | None = None
        self._placeholder = "No samples yet"
        self._row_labels: list[str] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(120, 120)
        self.setAutoFillBackground(True)
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, Qt.GlobalColor.black)
        palette.setColor(QPalette.ColorRole.WindowText, Qt.GlobalColor.lightGray)
        self.setPalette(palette)

    def set_image(self, image: QImage | None) -> None:
        self._image = image
        self.update()

    def image(self) -> QImage | None:
        return self._image

    def set_row_labels(self, labels) -> None:
        """Names written left of the image's rows, top to bottom (a conditional run's classes,
        one per grid row); empty for none."""
        self._row_labels = [str(label) for label in labels or ()]
        self.update()

    def row_labels(self) -> list[str]:
        return list(self._row_labels)

    def _label_margin(self) -> int:
        if not self._row_labels:
            return 0
        metrics = self.fontMetrics()
        return max(metrics.horizontalAdvance(label) for label in self._row_labels) + 8

    def set_placeholder(self, text: str) -> None:
        self._placeholder = text
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(480, 480)

    def target_rect(self) -> QRect:
        """Where the image is drawn: centred, aspect kept, integer zoom when possible."""
        if self._image is None or self._image.isNull():
            return QRect()
        iw, ih = self._image.width(), self._image.height()
        margin = self._label_margin()  # room for the row labels at the left
        width = max(1, self.width() - margin)
        scale = min(width / iw, self.height() / ih)
        if scale >= 1 and int(scale) / scale >= INTEGER_ZOOM_MIN_FILL:
            scale = int(scale)  # whole-number zoom unless it would waste much of the space
        w, h = max(1, int(iw * scale)), max(1, int(ih * scale))
        return QRect(margin + (width - w) // 2, (self.height() - h) // 2, w, h)

    def image_pixel(self, x: float, y: float) -> tuple[int, int] | None:
        """The image pixel under widget point (x, y), or None off the image."""
        rect = self.target_rect()
        if rect.isEmpty() or not rect.contains(int(x), int(y)):
            return None
        return (int((x - rect.x()) * self._image.width() / rect.width()),
                int((y - rect.y()) * self._image.height() / rect.height()))

    def mousePressEvent(self, event) -> None:
        pixel = self.image_pixel(event.position().x(), event.position().y())
        if event.button() == Qt.MouseButton.LeftButton and pixel is not None:
            self.clicked.emit(*pixel)
            event.accept()
            return
        super().mousePressEvent(event)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        if self._image is None or self._image.isNull():
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self._placeholder)
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        rect = self.target_rect()
        painter.drawImage(rect, self._image)
        rows = len(self._row_labels)
        margin = self._label_margin()
        for r, label in enumerate(self._row_labels):
            top = rect.y() + rect.height() * r / rows
            box = QRect(rect.x() - margin, int(top), margin - 6, max(1, int(rect.height() / rows)))
            painter.drawText(box, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label)


class EpochGridView(QWidget):
    """A sample grid per epoch; slider, Left/Right keys and a play button move between them.
    A click on the grid emits `sample_clicked(epoch, x, y)`, the pixel of the shown grid."""

    epoch_changed = Signal(int)
    sample_clicked = Signal(int, int, int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._grids: dict[int, object] = {}
        self._epochs: list[int] = []
        self._images: dict[int, QImage] = {}
        self._current: int | None = None
        self._last_save_dir = ""

        self.image_view = PixelView(self)
        self.image_view.setObjectName("samplesView")
        self.image_view.clicked.connect(self._on_image_clicked)
        self.caption_label = QLabel(self)
        self.caption_label.setObjectName("gridCaption")
        self.caption_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption_label.setWordWrap(True)
        self.caption_label.hide()

        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setObjectName("epochSlider")
        self.slider.setEnabled(False)
        self.slider.setPageStep(1)
        self.slider.valueChanged.connect(self._on_slider)
        self.epoch_label = QLabel("epoch –", self)
        self.epoch_label.setObjectName("epochLabel")
        self.epoch_label.setMinimumWidth(90)
        self.play_button = QPushButton("▶ Play", self)
        self.play_button.setObjectName("playButton")
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Animate the grids from the first epoch to the latest")
        self.play_button.toggled.connect(self._on_play_toggled)
        self.save_button = QPushButton("Save image…", self)
        self.save_button.setObjectName("saveImageButton")
        self.save_button.setToolTip("Write the shown grid as a PNG file")
        self.save_button.clicked.connect(self._on_save_clicked)

        self._controls = QWidget(self)
        row = QHBoxLayout(self._controls)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.play_button)
        row.addWidget(self.slider, 1)
        row.addWidget(self.epoch_label)
        row.addWidget(self.save_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.image_view, 1)
        layout.addWidget(self.caption_label)
        layout.addWidget(self._controls)

        self._play_timer = QTimer(self)
        self._play_timer.setInterval(PLAY_INTERVAL_MS)
        self._play_timer.timeout.connect(self._play_step)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._sync_controls()

    # ---- data ------------------------------------------------------------------------
    def set_grids(self, grids: dict[int, object]) -> None:
        """Replace all grids ({epoch: uint8 array or PNG path}) and show the latest."""
        self._stop_playing()
        self._grids = {int(k): v for k, v in grids.items()}
        self._epochs = sorted(self._grids)
        self._images.clear()
        self._current = None
        self._sync_controls()
        if self._epochs:
            self.show_epoch(self._epochs[-1])
        else:
            self._show_nothing()

    def add_grid(self, epoch: int, grid) -> None:
        """Add (or replace) one epoch; the view follows when it was showing the latest."""
        epoch = int(epoch)
        at_latest = self._current is None or (self._epochs and self._current == self._epochs[-1])
        self._grids[epoch] = grid
        self._images.pop(epoch, None)
        if epoch not in self._epochs:
            self._epochs.append(epoch)
            self._epochs.sort()
        self._sync_controls()
        if at_latest and not self._play_timer.isActive():
            self.show_epoch(self._epochs[-1])
        elif epoch == self._current:
            self.show_epoch(epoch)
        else:
            self._sync_slider()

    def clear(self) -> None:
        self.set_grids({})

    def set_row_labels(self, labels) -> None:
        """Class names beside the grid's rows (a conditional run's grid has a row per class)."""
        self.image_view.set_row_labels(labels)

    def epochs(self) -> list[int]:
        return list(self._epochs)

    def current_epoch(self) -> int | None:
        return self._current

    def current_image(self) -> QImage | None:
        return self.image_view.image()

    def show_epoch(self, epoch: int) -> None:
        """Show `epoch`'s grid (the nearest stored epoch at or below it if absent)."""
        if not self._epochs:
            return
        epoch = int(epoch)
        if epoch not in self._grids:
            lower = [e for e in self._epochs if e <= epoch]
            epoch = lower[-1] if lower else self._epochs[0]
        changed = epoch != self._current
        self._current = epoch
        image = self._image_for(epoch)
        self.image_view.set_image(image)
        if image is None:
            self.image_view.set_placeholder(f"Epoch {epoch}: image could not be read")
        self.epoch_label.setText(f"epoch {epoch} / {self._epochs[-1]}")
        self._sync_slider()
        if changed:
            self.epoch_changed.emit(epoch)

    def set_controls_visible(self, visible: bool) -> None:
        """Hide slider, play and save when something else (a shared slider) drives the view."""
        self._controls.setVisible(visible)

    def set_caption(self, text: str) -> None:
        self.caption_label.setText(text)
        self.caption_label.setVisible(bool(text))

    def set_placeholder(self, text: str) -> None:
        """What the empty view says (e.g. "Samples appear after the first epoch")."""
        self.image_view.set_placeholder(text)

    def set_click_hint(self, text: str) -> None:
        """Say (tooltip, pointing hand) what clicking a sample does, where something listens."""
        self.image_view.setToolTip(text)
        self.image_view.setCursor(Qt.CursorShape.PointingHandCursor)

    def save_image(self, path: str | os.PathLike) -> bool:
        """Write the shown grid as PNG; False when nothing is shown or the write failed."""
        image = self.current_image()
        return bool(image is not None and not image.isNull() and image.save(str(path), "PNG"))

    # ---- playing ---------------------------------------------------------------------
    def play(self) -> None:
        self.play_button.setChecked(True)

    def is_playing(self) -> bool:
        return self._play_timer.isActive()

    def _on_play_toggled(self, on: bool) -> None:
        if on and len(self._epochs) > 1:
            if self._current == self._epochs[-1]:
                self.show_epoch(self._epochs[0])  # start over from the first epoch
            self.play_button.setText("⏸ Pause")
            self._play_timer.start()
        else:
            self._stop_playing()

    def _play_step(self) -> None:
        index = self._epochs.index(self._current) if self._current in self._epochs else -1
        if index + 1 >= len(self._epochs):
            self._stop_playing()
            return
        self.show_epoch(self._epochs[index + 1])

    def _stop_playing(self) -> None:
        self._play_timer.stop()
        if self.play_button.isChecked():
            self.play_button.blockSignals(True)
            self.play_button.setChecked(False)
            self.play_button.blockSignals(False)
        self.play_button.setText("▶ Play")

    # ---- keys, slider, save -----------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self._epochs and event.key() in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            index = self._epochs.index(self._current) if self._current in self._epochs else 0
            step = -1 if event.key() == Qt.Key.Key_Left else 1
            index = min(max(index + step, 0), len(self._epochs) - 1)
            self._stop_playing()
            self.show_epoch(self._epochs[index])
            event.accept()
            return
        super().keyPressEvent(event)

    def _on_slider(self, index: int) -> None:
        if 0 <= index < len(self._epochs) and self._epochs[index] != self._current:
            if self._play_timer.isActive() and self.slider.isSliderDown():
                self._stop_playing()
            self.show_epoch(self._epochs[index])

    def _on_save_clicked(self) -> None:
        if self.current_image() is None:
            return
        path = self.ask_save_path()
        if path:
            self._last_save_dir = str(Path(path).parent)
            self.save_image(path)

    def ask_save_path(self) -> str:
        """The file dialog; a method so tests (and embedders) can replace it."""
        name = f"epoch-{self._current:04d}.png" if self._current is not None else "samples.png"
        path, _ = QFileDialog.getSaveFileName(self, "Save image", str(Path(self._last_save_dir) / name),
                                              "PNG image (*.png)")
        if path and not path.lower().endswith(".png"):
            path += ".png"
        return path

    def _on_image_clicked(self, x: int, y: int) -> None:
        if self._current is not None:
            self.sample_clicked.emit(self._current, x, y)

    # ---- internals -------------------------------------------------------------------
    def _image_for(self, epoch: int) -> QImage | None:
        if epoch in self._images:
            return self._images[epoch]
        source = self._grids.get(epoch)
        image = None
        if isinstance(source, np.ndarray):
            image = array_to_image(source)
        elif isinstance(source, QImage):
            image = source
        elif source is not None:
            loaded = QImage(str(source))
            image = None if loaded.isNull() else loaded
        if image is not None:
            self._images[epoch] = image
        return image

    def _show_nothing(self) -> None:
        self.image_view.set_image(None)
        self.epoch_label.setText("epoch –")

    def _sync_controls(self) -> None:
        n = len(self._epochs)
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, n - 1))
        self.slider.blockSignals(False)
        self.slider.setEnabled(n > 1)
        self.play_button.setEnabled(n > 1)
        self.save_button.setEnabled(n > 0)
        self._sync_slider()

    def _sync_slider(self) -> None:
        if self._current in self._epochs:
            self.slider.blockSignals(True)
            self.slider.setValue(self._epochs.index(self._current))
            self.slider.blockSignals(False)
