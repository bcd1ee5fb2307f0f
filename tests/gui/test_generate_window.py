"""Generate window: any kept epoch; samples, interpolations and walks rendered off the GUI
thread with the newest request winning; every save format; the training as an animated GIF
from the Runs tab and from the compare view."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QPushButton, QTabBar

from helpers.browser_runs import mnist_available, populate
from workbench.core.store.runs import RunStore

SETTLE_MS = 30_000


@pytest.fixture(scope="module")
def kept_run(tmp_path_factory):
    """A short real run keeping a checkpoint every epoch (epochs 1, 2, 3), trained once."""
    if not mnist_available():
        pytest.skip("real MNIST not available: set WORKBENCH_DATA_DIR to a folder holding MNIST/raw")
    from workbench.core.presets import preset_config
    from workbench.core.training.trainer import Trainer

    root = tmp_path_factory.mktemp("generate")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WORKBENCH_HOME", str(root / "home"))
        config = preset_config("mlp-small").with_changes(epochs=3, max_batches=5, keep_checkpoint_every=1,
                                                         device="cpu")
        run = RunStore(root / "runs").create(config, name="kept", preset="mlp-small")
        final = Trainer(config, run).fit()
    assert type(final).__name__ == "Finished", final
    return run


@pytest.fixture(scope="module")
def loaded(kept_run):
    """The run's generators, loaded here to compute what the window should show."""
    from workbench.core.outputs.generation import LoadedGenerator

    return {epoch: LoadedGenerator(kept_run, epoch) for epoch in (1, 3)}


@pytest.fixture
def make_window(qtbot):
    windows = []

    def make(run, **kwargs):
        from workbench.gui.generate.window import GenerateWindow

        window = GenerateWindow(run, **kwargs)
        windows.append(window)
        window.show()
        settle(qtbot, window)
        return window

    yield make
    for window in windows:  # before the leaked-thread check
        window.close()
        window.deleteLater()


def settle(qtbot, window) -> None:
    qtbot.waitUntil(window.is_idle, timeout=SETTLE_MS)


def seed_image(loaded, seed: int) -> np.ndarray:
    from workbench.core.outputs.generation import seed_latent

    return loaded.render(seed_latent(loaded.config, seed))[0]


def test_opens_on_the_latest_epoch_and_lists_every_kept_one(kept_run, loaded, make_window):
    from workbench.core.outputs.generation import seed_latents
    from workbench.core.store.epoch_checkpoints import EpochCheckpoint
    from workbench.gui.generate.window import epoch_text
    from workbench.gui.plots.grid_view import PixelView

    window = make_window(kept_run, name="kept")
    assert window.objectName() == "generateWindow" and window.findChild(QTabBar, "generateMode").count() == 3
    combo = window.findChild(QComboBox, "generateEpoch")
    assert [combo.itemData(i) for i in range(combo.count())] == [1, 2, 3]
    assert combo.currentText() == "epoch 3 (latest)" and window.shown_request.epoch == 3
    assert window.images.shape == (64, 28, 28) and window.images.dtype == np.float32
    assert np.allclose(window.images, loaded[3].render(seed_latents(loaded[3].config, 64, 0)), atol=1e-6)
    shown = window.findChild(PixelView, "generatedView").image()
    assert (shown.width(), shown.height()) == (8 * 30 + 2, 8 * 30 + 2) == window.grid.shape[::-1]
    mid = epoch_text(EpochCheckpoint(4, Path("latest.pt"), True), True)
    assert "part of 5" in mid and "mid-epoch" in mid


@pytest.fixture(scope="module")
def scored_run(tmp_path_factory):
    """A short run scored 3.0, 1.84, 2.5, 4.0 (scripted): its best is epoch 2, kept only as best.pt."""
    if not mnist_available():
        pytest.skip("real MNIST not available: set WORKBENCH_DATA_DIR to a folder holding MNIST/raw")
    from helpers.scripted_scores import script_scores
    from workbench.core.presets import preset_config
    from workbench.core.training.trainer import Trainer

    root = tmp_path_factory.mktemp("generate-best")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WORKBENCH_HOME", str(root / "home"))
        script_scores(mp, [3.0, 1.84, 2.5, 4.0])
        config = preset_config("mlp-small").with_changes(epochs=4, max_batches=3, eval_samples=256, device="cpu")
        run = RunStore(root / "runs").create(config, name="scored", preset="mlp-small")
        final = Trainer(config, run).fit()
    assert type(final).__name__ == "Finished", final
    return run


def test_opens_on_the_best_epoch_offered_first(scored_run, make_window, qtbot):
    from workbench.core.outputs.generation import LoadedGenerator, seed_latents

    window = make_window(scored_run, name="scored")
    combo = window.findChild(QComboBox, "generateEpoch")
    assert [combo.itemText(i) for i in range(combo.count())] == ["best: epoch 2, 1.84", "epoch 4 (latest)"]
    assert combo.currentIndex() == 0 and window.epoch() == 2 and window.shown_request.epoch == 2
    best = LoadedGenerator(scored_run, 2)
    assert np.allclose(window.images, best.render(seed_latents(best.config, 64, 0)), atol=1e-6)
    assert window.status.text().startswith("Epoch 2 (the best):") and "epoch0002" in window.default_name("png")
    window.grab().save("/tmp/generate-best.png")
    window.set_epoch(4)
    settle(qtbot, window)
    assert window.shown_request.epoch == 4 and not np.allclose(window.images, best.render(
        seed_latents(best.config, 64, 0)), atol=1e-3)


def test_switching_epoch_changes_the_image_and_loads_each_epoch_once(kept_run, loaded, make_window, qtbot):
    from workbench.core.outputs.generation import seed_latents

    window = make_window(kept_run)
    latest = window.images.copy()
    window.set_epoch(1)
    settle(qtbot, window)
    assert window.shown_request.epoch == 1 and window.last_outcome["epoch"] == 1
    assert not np.allclose(window.images, latest, atol=1e-3)
    assert np.allclose(window.images, loaded[1].render(seed_latents(loaded[1].config, 64, 0)), atol=1e-6)
    window.set_epoch(3)
    settle(qtbot, window)
    assert np.array_equal(window.images, latest)
    assert window.cache.loads == 2  # epoch 3 came from the cache the second time


def test_interpolation_rows_start_and_end_at_the_seeds_own_images(kept_run, loaded, make_window, qtbot):
    from workbench.core.outputs.generation import seed_latent

    window = make_window(kept_run)
    window.set_mode("interpolation")
    window.seed_a.setValue(5)
    window.seed_b.setValue(9)
    window.steps.setValue(6)
    window.rows.setValue(2)
    settle(qtbot, window)
    request = window.shown_request
    assert (request.mode, request.seed, request.seed_b, request.steps, request.rows) == ("interpolation", 5, 9, 6, 2)
    assert request.spherical  # the default for normal noise
    images = window.images.reshape(2, 6, 28, 28)
    for row, (a, b) in enumerate([(5, 9), (6, 10)]):  # row i: seed A + i → seed B + i
        assert np.allclose(images[row, 0], seed_image(loaded[3], a), atol=1e-6)
        assert np.allclose(images[row, -1], seed_image(loaded[3], b), atol=1e-6)
    assert not np.allclose(images[0, 0], images[0, -1], atol=1e-3)
    assert window.grid.shape == (2 * 30 + 2, 6 * 30 + 2)

    window.path.setCurrentIndex(1)  # linear
    settle(qtbot, window)
    assert window.shown_request.spherical is False
    a, b = (seed_latent(loaded[3].config, s)[0].numpy() for s in (5, 9))
    assert np.allclose(window.latents[1], a + 0.2 * (b - a), atol=1e-6)


def test_a_walk_changes_only_its_dimension(kept_run, loaded, make_window, qtbot):
    import torch

    from workbench.core.outputs.generation import seed_latent

    window = make_window(kept_run)
    assert window.walk_dim.maximum() == loaded[3].config.latent_size - 1
    window.set_mode("walk")
    window.walk_seed.setValue(4)
    window.walk_dim.setValue(7)
    window.walk_low.setValue(-2.0)
    window.walk_high.setValue(2.0)
    window.walk_steps.setValue(5)
    settle(qtbot, window)
    latents = window.latents
    base = seed_latent(loaded[3].config, 4)[0].numpy()
    others = [d for d in range(len(base)) if d != 7]
    assert latents.shape == (5, len(base))
    assert np.array_equal(latents[:, others], np.broadcast_to(base[others], (5, len(others))))
    assert latents[:, 7].tolist() == [-2.0, -1.0, 0.0, 1.0, 2.0]
    assert np.allclose(window.images, loaded[3].render(torch.from_numpy(latents)), atol=1e-6)
    assert not np.allclose(window.images[0], window.images[-1], atol=1e-3)


def test_rendering_is_off_the_gui_thread_debounced_and_the_latest_request_wins(kept_run, loaded, make_window,
                                                                               qtbot):
    from workbench.core.outputs.generation import seed_latents

    window = make_window(kept_run)
    assert window.last_outcome["thread"] != threading.get_ident()
    started, shown = [], []
    window.request_started.connect(started.append)
    window.image_shown.connect(shown.append)
    for seed in (11, 12, 13):
        window.seed.setValue(seed)
        window.regenerate()  # at once, without waiting for the debounce
    assert window.shown_request.seed == 0  # nothing was rendered while the GUI thread was busy asking
    settle(qtbot, window)
    assert [r.seed for r in started] == [11, 13]  # 12 was replaced while 11 rendered
    assert [r.seed for r in shown] == [13]  # 11's picture was stale when it arrived
    assert np.allclose(window.images, loaded[3].render(seed_latents(loaded[3].config, 64, 13)), atol=1e-6)

    started.clear()
    for count in (9, 10, 11):  # a spin box being stepped: one render once it settles
        window.count.setValue(count)
    assert not started
    settle(qtbot, window)
    assert [r.count for r in started] == [11] and window.images.shape[0] == 11
    assert window.cache.loads == 1


def test_each_save_format_writes_a_readable_file(kept_run, make_window, qtbot, tmp_path, monkeypatch):
    window = make_window(kept_run)
    window.set_mode("interpolation")
    window.steps.setValue(4)
    window.rows.setValue(2)
    settle(qtbot, window)
    errors = []
    monkeypatch.setattr(window, "show_error", lambda title, text: errors.append(text))
    monkeypatch.setattr(window, "ask_save_file", lambda kind: str(tmp_path / f"out.{kind}"))
    monkeypatch.setattr(window, "ask_save_folder", lambda: str(tmp_path / "pngs"))

    window.findChild(QPushButton, "saveGridButton").click()
    with Image.open(tmp_path / "out.png") as image:
        assert image.size == (4 * 30 + 2, 2 * 30 + 2)
        assert np.array_equal(np.asarray(image), window.grid)
    window.findChild(QPushButton, "saveArrayButton").click()
    saved = np.load(tmp_path / "out.npy")
    assert saved.shape == (8, 28, 28) and np.array_equal(saved, window.images)
    window.findChild(QPushButton, "saveFolderButton").click()
    files = sorted((tmp_path / "pngs").glob("*.png"))
    assert len(files) == 8
    with Image.open(files[-1]) as image:
        assert image.size == (28, 28)
        assert np.abs(np.asarray(image) / 255.0 - window.images[-1]).max() <= 1 / 255
    assert errors == []

    (tmp_path / "blocker").write_text("a file where a folder should be")
    monkeypatch.setattr(window, "ask_save_file", lambda kind: str(tmp_path / "blocker" / "out.png"))
    assert window.save("png") == []
    assert len(errors) == 1 and "blocker" in errors[0] and "Traceback" not in errors[0]
    monkeypatch.setattr(window, "ask_save_file", lambda kind: None)  # cancelled
    assert window.save("npy") == [] and len(errors) == 1


def test_export_animation_from_the_runs_tab_has_a_frame_per_epoch(isolated_home, qtbot, monkeypatch, tmp_path):
    from workbench.gui.runs import RunBrowser

    runs = populate(isolated_home)
    browser = RunBrowser(RunStore())
    qtbot.addWidget(browser)
    said = []
    monkeypatch.setattr(browser, "show_message", lambda title, text: said.append((title, text)))
    monkeypatch.setattr(browser, "show_error", lambda title, text: said.append((title, text)))
    monkeypatch.setattr(browser, "ask_gif_path", lambda summary: str(tmp_path / f"{summary.name}.gif"))
    action = browser.findChild(QAction, "exportGifAction")
    assert not action.isEnabled()
    browser.select_runs([runs["beta"].id])
    assert action.isEnabled()
    action.trigger()
    with Image.open(tmp_path / "beta.gif") as gif:
        assert gif.n_frames == 3
    assert said[0][0] == "Animation exported"


def test_export_animation_from_the_compare_view_shows_every_run(isolated_home, qtbot, monkeypatch, tmp_path):
    from workbench.gui.compare.view import CompareView

    runs = populate(isolated_home)
    view = CompareView([runs["alpha"], runs["beta"], runs["gamma"]])
    qtbot.addWidget(view)
    said = []
    monkeypatch.setattr(view, "show_message", lambda title, text: said.append((title, text)))
    monkeypatch.setattr(view, "ask_gif_path", lambda: str(tmp_path / "all.gif"))
    view.findChild(QPushButton, "compareGifButton").click()
    with Image.open(tmp_path / "all.gif") as gif, Image.open(runs["beta"].sample_file(3)) as grid:
        assert gif.n_frames == 3  # epochs 1 to 3; the 2-epoch runs hold their last grid
        assert gif.size[0] >= 3 * grid.size[0]
    assert said[0][0] == "Animation exported"

    (tmp_path / "blocker").write_text("x")
    monkeypatch.setattr(view, "ask_gif_path", lambda: str(tmp_path / "blocker" / "all.gif"))
    assert view.export_gif() == 0
    assert said[-1][0] == "Export failed" and "blocker" in said[-1][1]
