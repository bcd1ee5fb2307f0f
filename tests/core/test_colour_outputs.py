"""Colour runs write colour everywhere: the fixed-noise grids, `sample` (grid PNG, .npy array,
one PNG per image) and the training GIF, alone and beside a greyscale run; greyscale outputs
stay greyscale."""

import numpy as np
import pytest
from PIL import Image

from helpers.colour_runs import train_folder_run
from workbench.cli import main
from workbench.core.outputs.animation import write_gif
from workbench.core.outputs.generation import LoadedGenerator, seed_latents


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A colour and a greyscale run (trained once for the module, in a home of their own)."""
    import os

    home = tmp_path_factory.mktemp("colour-home")
    before = os.environ.get("WORKBENCH_HOME")
    os.environ["WORKBENCH_HOME"] = str(home)
    try:
        pictures = home.parent / "pictures"
        colour = train_folder_run(pictures, 3, "colour")
        grey = train_folder_run(pictures, 1, "grey")
    finally:
        os.environ.pop("WORKBENCH_HOME") if before is None else os.environ.__setitem__("WORKBENCH_HOME", before)
    return home, colour, grey


@pytest.fixture
def home(runs, monkeypatch):
    monkeypatch.setenv("WORKBENCH_HOME", str(runs[0]))
    return runs[0]


def is_colourful(rgb: np.ndarray) -> bool:
    """Some pixel whose channels differ clearly: not a greyscale picture stored as RGB."""
    rgb = rgb.astype(np.int16)
    return int(np.abs(rgb[..., 0] - rgb[..., 1]).max()) > 20 or int(np.abs(rgb[..., 1] - rgb[..., 2]).max()) > 20


def test_render_gives_channels_last_colour_and_plain_greyscale(runs):
    _, colour, grey = runs
    for run, shape in ((colour, (5, 32, 32, 3)), (grey, (5, 32, 32))):
        loaded = LoadedGenerator(run)
        images = loaded.render(seed_latents(loaded.config, 5, 0))
        assert images.shape == shape and images.dtype == np.float32 and 0 <= images.min() <= images.max() <= 1
    with Image.open(colour.sample_file(2)) as png:
        assert png.mode == "RGB" and is_colourful(np.asarray(png))
    with Image.open(grey.sample_file(2)) as png:
        assert png.mode == "L"


def test_sample_writes_rgb_grid_array_and_files_for_a_colour_run(home, runs, tmp_path, capsys):
    _, colour, _ = runs
    assert main(["sample", colour.id, "--count", "6", "--seed", "3", "--out", str(tmp_path / "s.npy"),
                 "--out-dir", str(tmp_path / "each")]) == 0
    assert main(["sample", colour.id, "--count", "6", "--seed", "3", "--out", str(tmp_path / "s.png")]) == 0
    array = np.load(tmp_path / "s.npy")
    assert array.shape == (6, 32, 32, 3) and array.dtype == np.float32
    loaded = LoadedGenerator(colour)
    assert np.allclose(array, loaded.render(seed_latents(loaded.config, 6, 3)), atol=1e-6)
    singles = sorted((tmp_path / "each").glob("image-*.png"))
    assert len(singles) == 6
    with Image.open(singles[4]) as png:
        assert png.mode == "RGB" and png.size == (32, 32)
        assert np.array_equal(np.asarray(png), (array[4] * 255 + 0.5).astype(np.uint8))
    with Image.open(tmp_path / "s.png") as png:  # 3 × 2 grid, 2-pixel gaps
        assert png.mode == "RGB" and png.size == (3 * 34 + 2, 2 * 34 + 2)
        pixels = np.asarray(png)
    assert np.array_equal(pixels[2:34, 36:68], (array[1] * 255 + 0.5).astype(np.uint8))
    assert is_colourful(pixels)


def test_sample_of_a_greyscale_run_stays_greyscale(home, runs, tmp_path, capsys):
    _, _, grey = runs
    assert main(["sample", grey.id, "--count", "4", "--out", str(tmp_path / "g.npy"),
                 "--out-dir", str(tmp_path / "each")]) == 0
    assert main(["sample", grey.id, "--count", "4", "--out", str(tmp_path / "g.png")]) == 0
    assert np.load(tmp_path / "g.npy").shape == (4, 32, 32)
    for path in [tmp_path / "g.png", *sorted((tmp_path / "each").glob("*.png"))]:
        with Image.open(path) as png:
            assert png.mode == "L"


def gif_frames(path) -> list[np.ndarray]:
    frames = []
    with Image.open(path) as gif:
        for i in range(gif.n_frames):
            gif.seek(i)
            frames.append(np.asarray(gif.convert("RGB")))
    return frames


def test_the_training_gif_of_a_colour_run_is_in_colour(home, runs, tmp_path, capsys):
    _, colour, grey = runs
    assert main(["export", colour.id, "--gif", str(tmp_path / "c.gif")]) == 0
    frames = gif_frames(tmp_path / "c.gif")
    assert len(frames) == 2  # one frame per epoch
    assert all(is_colourful(f[18:]) for f in frames)  # below the epoch label
    assert write_gif([grey], tmp_path / "g.gif") == 2
    grey_frames = gif_frames(tmp_path / "g.gif")
    with Image.open(tmp_path / "g.gif") as gif:
        assert gif.mode in ("L", "P")
    assert not any(is_colourful(f) for f in grey_frames)


def test_a_side_by_side_gif_mixes_greyscale_and_colour_runs(runs, tmp_path):
    _, colour, grey = runs
    assert write_gif([colour, grey], tmp_path / "both.gif", names=["colour", "grey"]) == 2
    with Image.open(colour.sample_file(2)) as png:
        width, height = png.size
    frames = gif_frames(tmp_path / "both.gif")
    header = 36  # the epoch line and the run names
    last = frames[-1]
    assert last.shape[1] == 2 * width + 8 and last.shape[0] == height + header
    colour_part, grey_part = last[header:, :width], last[header:, width + 8:]
    assert is_colourful(colour_part) and not is_colourful(grey_part)
    with Image.open(grey.sample_file(2)) as png:  # the greyscale grid kept its values, up to the GIF's
        error = np.abs(grey_part[..., 0].astype(int) - np.asarray(png, dtype=int))  # 256-colour palette
    assert error.mean() < 4 and error.max() < 40
