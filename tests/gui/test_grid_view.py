"""EpochGridView: grids from arrays and PNGs, following the latest, slider/keys, play, save."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from workbench.gui.plots.grid_view import EpochGridView, array_to_image


def grid(value: int, shape=(30, 30)) -> np.ndarray:
    return np.full(shape, value, dtype=np.uint8)


def pixel(image: QImage) -> int:
    return image.pixelColor(0, 0).red()


def test_array_to_image_keeps_pixels():
    a = np.arange(12, dtype=np.uint8).reshape(3, 4)
    image = array_to_image(a)
    assert (image.width(), image.height()) == (4, 3)
    assert image.pixelColor(3, 2).red() == 11


def test_add_grid_follows_latest_unless_scrubbed_back(qtbot):
    view = EpochGridView()
    qtbot.addWidget(view)
    seen = []
    view.epoch_changed.connect(seen.append)
    assert view.current_epoch() is None and view.current_image() is None
    for epoch in (1, 2, 3):
        view.add_grid(epoch, grid(epoch * 10))
    assert view.epochs() == [1, 2, 3]
    assert view.current_epoch() == 3 and pixel(view.current_image()) == 30
    assert seen == [1, 2, 3]
    view.show_epoch(1)
    view.add_grid(4, grid(40))
    assert view.current_epoch() == 1, "a user looking at an old epoch is not yanked forward"
    assert view.slider.maximum() == 3 and view.slider.value() == 0
    view.slider.setValue(3)
    assert view.current_epoch() == 4 and pixel(view.current_image()) == 40


def test_png_paths_load_lazily_and_keys_scrub(qtbot, tmp_path):
    paths = {}
    for epoch in (1, 2, 5):
        path = tmp_path / f"epoch-{epoch:04d}.png"
        assert array_to_image(grid(epoch * 20)).save(str(path))
        paths[epoch] = path
    view = EpochGridView()
    qtbot.addWidget(view)
    view.set_grids(paths)
    assert view.current_epoch() == 5 and pixel(view.current_image()) == 100
    assert list(view._images) == [5], "only the shown PNG is read"
    qtbot.keyClick(view, Qt.Key.Key_Left)
    assert view.current_epoch() == 2 and pixel(view.current_image()) == 40
    qtbot.keyClick(view, Qt.Key.Key_Left)
    qtbot.keyClick(view, Qt.Key.Key_Left)
    assert view.current_epoch() == 1
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert view.current_epoch() == 2
    view.show_epoch(4)  # absent: the nearest earlier epoch
    assert view.current_epoch() == 2
    view.clear()
    assert view.epochs() == [] and view.current_image() is None


def test_missing_png_shows_placeholder_not_crash(qtbot, tmp_path):
    view = EpochGridView()
    qtbot.addWidget(view)
    view.set_grids({1: tmp_path / "gone.png"})
    assert view.current_epoch() == 1 and view.current_image() is None


def test_play_runs_to_latest_and_stops(qtbot):
    view = EpochGridView()
    qtbot.addWidget(view)
    view.set_grids({e: grid(e) for e in range(1, 5)})
    view.play()
    assert view.current_epoch() == 1 and view.is_playing()
    qtbot.waitUntil(lambda: not view.is_playing(), timeout=5000)
    assert view.current_epoch() == 4
    assert not view.play_button.isChecked()


def test_save_writes_shown_grid(qtbot, tmp_path, monkeypatch):
    view = EpochGridView()
    qtbot.addWidget(view)
    view.set_grids({1: grid(10), 2: grid(200)})
    view.show_epoch(1)
    target = tmp_path / "out.png"
    monkeypatch.setattr(view, "ask_save_path", lambda: str(target))
    view.save_button.click()
    saved = QImage(str(target))
    assert not saved.isNull() and pixel(saved) == 10 and saved.width() == 30


def test_controls_hide_and_caption(qtbot):
    view = EpochGridView()
    qtbot.addWidget(view)
    view.show()
    view.set_controls_visible(False)
    assert not view.slider.isVisible()
    view.set_caption("run A")
    assert view.caption_label.isVisible() and view.caption_label.text() == "run A"


def test_pixels_are_scaled_nearest_neighbour(qtbot):
    """A checkerboard stays pure black/white when drawn 10x larger."""
    view = EpochGridView()
    qtbot.addWidget(view)
    view.resize(400, 400)
    view.show()
    board = (np.indices((8, 8)).sum(0) % 2 * 255).astype(np.uint8)
    view.add_grid(1, board)
    shot = view.image_view.grab().toImage()
    rect = view.image_view.target_rect()
    assert rect.width() % 8 == 0, "whole-number zoom"
    values = {shot.pixelColor(x, y).red()
              for x in range(rect.left(), rect.right(), 3) for y in range(rect.top(), rect.bottom(), 3)}
    assert values <= {0, 255}
