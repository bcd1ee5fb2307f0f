"""Colour runs are shown in colour wherever the app shows images: the live grid of the Training
tab, the Runs tab (details grid, thumbnails), the compare view beside a greyscale run, and the
Generate window (picture and saved files); greyscale runs stay greyscale."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QPushButton

from helpers.colour_runs import folder_run_config, train_folder_run
from workbench.core.events import Finished
from workbench.gui.plots.grid_view import array_to_image


@pytest.fixture
def pictures(tmp_path):
    from helpers.image_files import write_images

    write_images(tmp_path / "pictures", 24)
    return tmp_path / "pictures"


@pytest.fixture
def colour_and_grey(pictures):
    return train_folder_run(pictures, 3, "colour"), train_folder_run(pictures, 1, "grey")


def pixels(image: QImage) -> np.ndarray:
    """(H, W, 3) RGB values of any QImage."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    line = rgb.bytesPerLine()
    data = np.frombuffer(bytes(rgb.constBits()), np.uint8).reshape(rgb.height(), line)
    return data[:, :rgb.width() * 3].reshape(rgb.height(), rgb.width(), 3)


def is_colourful(rgb: np.ndarray) -> bool:
    rgb = rgb.astype(np.int16)
    return int(np.abs(rgb[..., 0] - rgb[..., 1]).max()) > 20 or int(np.abs(rgb[..., 1] - rgb[..., 2]).max()) > 20


def png_pixels(path) -> np.ndarray:
    with Image.open(path) as png:
        return np.asarray(png.convert("RGB"))


def test_array_to_image_shows_rgb_arrays_pixel_for_pixel():
    rng = np.random.default_rng(0)
    for width in (5, 6, 7, 8):  # odd widths: rows not 4-byte aligned
        grid = rng.integers(0, 256, (3, width, 3), dtype=np.uint8)
        image = array_to_image(grid)
        assert image.format() == QImage.Format.Format_RGB888 and (image.width(), image.height()) == (width, 3)
        assert np.array_equal(pixels(image), grid)
        colour = image.pixelColor(width - 1, 2)
        assert (colour.red(), colour.green(), colour.blue()) == tuple(grid[2, width - 1])
    del grid  # the image owns its pixels
    assert image.pixelColor(0, 0).isValid()
    grey = array_to_image(np.arange(12, dtype=np.uint8).reshape(3, 4))
    assert grey.format() == QImage.Format.Format_Grayscale8
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        array_to_image(np.zeros((3, 4, 4), np.uint8))


def test_live_grid_of_a_colour_run_is_shown_in_colour(qtbot, view, pictures):
    view.form.set_config(folder_run_config(pictures, 3))
    with qtbot.waitSignal(view.run_started, timeout=10_000) as started:
        assert view.start()
    run = started.args[0]
    qtbot.waitUntil(lambda: not view.is_training(), timeout=60_000)
    assert isinstance(view.last_final_event(), Finished)
    grids = view.live_view.grid_view
    assert grids.epochs() == [1, 2]
    shown = grids.current_image()
    assert shown.format() == QImage.Format.Format_RGB888
    assert np.array_equal(pixels(shown), png_pixels(run.sample_file(2))) and is_colourful(pixels(shown))


def test_runs_tab_details_and_thumbnails_show_colour(qtbot, colour_and_grey):
    from workbench.core.store.runs import RunStore
    from workbench.gui.runs import RunBrowser
    from workbench.gui.runs.table_model import ThumbnailCache

    colour, grey = colour_and_grey
    browser = RunBrowser(RunStore())
    qtbot.addWidget(browser)
    browser.select_runs([colour.id])
    shown = pixels(browser.details.grid_view.current_image())
    assert np.array_equal(shown, png_pixels(colour.sample_file(2))) and is_colourful(shown)
    browser.select_runs([grey.id])
    assert browser.details.grid_view.current_image().allGray()
    thumbnails = ThumbnailCache()
    assert is_colourful(pixels(thumbnails.get(colour.sample_file(2)).toImage()))
    assert thumbnails.get(grey.sample_file(2)).toImage().allGray()


def test_compare_view_shows_a_colour_run_beside_a_greyscale_one(qtbot, colour_and_grey):
    from workbench.gui.compare.view import CompareView

    colour, grey = colour_and_grey
    view = CompareView([colour, grey])
    qtbot.addWidget(view)
    view.show()
    colour_grid, grey_grid = (g.current_image() for g in view.grid_views)
    assert is_colourful(pixels(colour_grid)) and grey_grid.allGray()
    picture = pixels(view.render_comparison())
    pad, top = 16, 60  # the layout of render_comparison: cells `side` wide, under their labels
    side = (picture.shape[1] - pad) // 2 - pad

    def cell(i):  # inside the frame drawn in the run's colour
        x = pad + i * (side + pad)
        return picture[top + 3:top + side - 3, x + 3:x + side - 3]

    assert is_colourful(cell(0)) and not is_colourful(cell(1)) and cell(1).max() > 60


def test_generate_window_renders_and_saves_colour(qtbot, colour_and_grey, tmp_path, monkeypatch):
    from workbench.gui.generate.window import GenerateWindow

    colour, _ = colour_and_grey
    window = GenerateWindow(colour)
    try:
        window.show()
        qtbot.waitUntil(lambda: window.is_idle() and window.images is not None, timeout=20_000)
        window.count.setValue(6)
        qtbot.waitUntil(lambda: window.is_idle() and len(window.images) == 6, timeout=20_000)
        assert window.images.shape == (6, 32, 32, 3) and window.grid.shape == (2 * 34 + 2, 3 * 34 + 2, 3)
        shown = window.view.image()
        assert shown.format() == QImage.Format.Format_RGB888
        assert np.array_equal(pixels(shown), window.grid) and is_colourful(window.grid)
        monkeypatch.setattr(window, "ask_save_file", lambda kind: str(tmp_path / f"out.{kind}"))
        monkeypatch.setattr(window, "ask_save_folder", lambda: str(tmp_path / "pngs"))
        for name in ("saveGridButton", "saveArrayButton", "saveFolderButton"):
            window.findChild(QPushButton, name).click()
        with Image.open(tmp_path / "out.png") as png:
            assert png.mode == "RGB" and np.array_equal(np.asarray(png), window.grid)
        assert np.array_equal(np.load(tmp_path / "out.npy"), window.images)
        files = sorted((tmp_path / "pngs").glob("*.png"))
        with Image.open(files[0]) as png:
            assert len(files) == 6 and png.mode == "RGB" and png.size == (32, 32)
    finally:
        window.close()
        window.deleteLater()
