"""A folder of the user's images as a dataset: reading, converting, cropping, caching, skipped
files, too few images, progress and cancel, and training on it (exact resume in colour)."""

import numpy as np
import pytest
import torch
from PIL import Image

from helpers.image_files import write_images
from workbench.core.data import image_folder
from workbench.core.data.image_folder import ImageFolderError, PreparationCancelled, prepare, read_image, scan
from workbench.core.data.placement import forget_resident
from workbench.core.data.training_data import training_images
from workbench.core.events import (
    EpochEnded,
    Failed,
    Finished,
    Notice,
    Preparing,
    Started,
    Stopped,
    TrainingControl,
)
from workbench.core.presets import preset_config
from workbench.core.store.runs import RunStore
from workbench.core.training.trainer import Trainer


@pytest.fixture(autouse=True)
def fresh_memory():
    forget_resident()
    yield
    forget_resident()


@pytest.fixture
def mixed(tmp_path):
    """PNG and JPEG, colour and greyscale, several sizes, a subfolder, one corrupt file, and
    files that are not images at all (ignored, not counted)."""
    folder = tmp_path / "pictures"
    write_images(folder, 12)
    (folder / "sub" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not a picture")
    (folder / "notes.txt").write_text("not an image")
    (folder / ".hidden.png").write_bytes(b"junk")
    return folder


def test_every_readable_image_is_converted_cropped_and_resized(mixed):
    prepared = prepare(mixed, 3, 32)
    assert prepared.images.dtype == torch.uint8 and prepared.images.shape == (12, 3, 32, 32)
    assert prepared.skipped == ["sub/broken.png"] and not prepared.from_cache
    message = prepared.skipped_message(mixed)
    assert "1 of 13 files" in message and "broken.png" in message and str(mixed) in message
    grey = prepare(mixed, 1, 28)
    assert grey.images.shape == (12, 1, 28, 28)


def test_centre_crop_then_antialiased_resize(tmp_path):
    wide = np.zeros((20, 40, 3), dtype=np.uint8)
    wide[:, :10] = (255, 0, 0)  # left and right quarters red: cropped away
    wide[:, 30:] = (255, 0, 0)
    wide[:, 10:30] = (0, 0, 255)  # the centred square blue
    Image.fromarray(wide).save(tmp_path / "wide.png")
    out = read_image(tmp_path / "wide.png", 3, 28)
    assert out.shape == (3, 28, 28)
    assert out[2, :, 2:-2].min() > 240 and out[0].mean() < 10  # all blue, no red left (Lanczos rings a
    # little at the edges, where its support reaches past the crop)
    checker = (np.indices((64, 64)).sum(0) % 2 * 255).astype(np.uint8)
    Image.fromarray(checker).save(tmp_path / "checker.png")
    small = read_image(tmp_path / "checker.png", 1, 32)
    assert abs(float(small.mean()) - 127.5) < 3 and small.std() < 20  # averaged, not aliased to 0/255


def test_greyscale_to_colour_and_back(tmp_path):
    Image.fromarray(np.full((10, 10), 77, np.uint8)).save(tmp_path / "grey.png")
    Image.fromarray(np.full((10, 10, 3), (200, 50, 10), np.uint8)).save(tmp_path / "colour.png")
    assert (read_image(tmp_path / "grey.png", 3, 28) == 77).all()
    expected = round(0.299 * 200 + 0.587 * 50 + 0.114 * 10)  # ITU-R 601, Pillow's L conversion
    assert abs(int(read_image(tmp_path / "colour.png", 1, 28)[0, 5, 5]) - expected) <= 1


def test_transparency_is_flattened_onto_black_and_16_bit_scaled(tmp_path):
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., :3] = 255
    rgba[:, 4:, 3] = 255  # left half transparent white
    Image.fromarray(rgba).save(tmp_path / "sprite.png")
    out = read_image(tmp_path / "sprite.png", 3, 28)
    assert out[:, :, :10].max() < 10 and out[:, :, 18:].min() > 245
    Image.fromarray(np.full((8, 8), 65535, np.uint16)).save(tmp_path / "deep.png")
    assert (read_image(tmp_path / "deep.png", 1, 28) == 255).all()
    Image.fromarray(np.full((8, 8), 32896, np.uint16)).save(tmp_path / "mid.png")
    assert (read_image(tmp_path / "mid.png", 1, 28) == 128).all()


def test_second_preparation_comes_from_the_cache_and_a_change_prepares_again(mixed, monkeypatch, isolated_home):
    first = prepare(mixed, 3, 32)
    assert image_folder.cache_folder().is_relative_to(isolated_home)
    cached = list(image_folder.cache_folder().glob("*.pt"))
    assert len(cached) == 1

    def no_decoding(*args):
        raise AssertionError("decoded again although the folder did not change")

    with monkeypatch.context() as patch:
        patch.setattr(image_folder, "read_image", no_decoding)
        again = prepare(mixed, 3, 32)
    assert again.from_cache and torch.equal(again.images, first.images) and again.skipped == first.skipped
    write_images(mixed / "more", 1, seed=5)
    changed = prepare(mixed, 3, 32)
    assert not changed.from_cache and changed.images.shape[0] == 13
    assert list(image_folder.cache_folder().glob("*.pt")) != cached  # the folder's old file replaced
    assert len(list(image_folder.cache_folder().glob("*.pt"))) == 1
    assert not prepare(mixed, 3, 64).from_cache  # another size is another tensor


def test_a_damaged_cache_file_is_prepared_again(mixed):
    prepare(mixed, 1, 28)
    (path,) = image_folder.cache_folder().glob("*.pt")
    path.write_bytes(b"garbage")
    again = prepare(mixed, 1, 28)
    assert not again.from_cache and again.images.shape == (12, 1, 28, 28)


def test_empty_missing_and_unreadable_folders_name_the_folder(tmp_path):
    empty = tmp_path / "empty"
    (empty / "sub").mkdir(parents=True)
    with pytest.raises(ImageFolderError, match="holds no images") as info:
        prepare(empty, 3, 32)
    assert str(empty) in str(info.value)
    with pytest.raises(ImageFolderError, match="does not exist"):
        prepare(tmp_path / "nowhere", 3, 32)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "a.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(ImageFolderError, match="no readable images") as info:
        prepare(broken, 3, 32)
    assert str(broken) in str(info.value)


def test_progress_reaches_the_end_and_a_stop_cancels(mixed, monkeypatch):
    monkeypatch.setattr(image_folder, "CHUNK", 4)
    seen = []
    prepare(mixed, 3, 32, progress=lambda fraction, text: seen.append((fraction, text)))
    assert seen[-1][0] == 1.0 and "image folder" in seen[-1][1]
    assert [f for f, _ in seen] == sorted(f for f, _ in seen)
    with pytest.raises(PreparationCancelled):
        prepare(mixed, 3, 64, cancel=lambda: True)


def folder_config(folder, **changes):
    config = preset_config("folder-dcgan64").with_changes(
        image_folder=str(folder), image_size=32, g_widths=[16, 8, 8], d_widths=[8, 8, 16], batch_size=4,
        epochs=2, max_batches=3)
    return config.with_changes(**changes)


def test_training_images_report_preparation_skips_and_too_few(mixed):
    events = []
    images = training_images(folder_config(mixed), torch.device("cpu"), events.append)
    assert images.shape == (12, 3, 32, 32)
    assert any(isinstance(e, Preparing) for e in events)
    assert [e.message for e in events if isinstance(e, Notice)] == [
        prepare(mixed, 3, 32).skipped_message(mixed)]
    with pytest.raises(ImageFolderError, match="fewer than one batch of 64") as info:
        training_images(folder_config(mixed, batch_size=64), torch.device("cpu"))
    assert str(mixed) in str(info.value)


@pytest.fixture
def store(isolated_home):
    return RunStore()


def train(store, config, run=None, control=None):
    run = run or store.create(config)
    events = []
    final = Trainer(config, run, progress_interval=0.0).fit(events.append, control)
    return run, events, final


def test_a_colour_folder_run_writes_rgb_grids_and_resumes_exactly(store, mixed):
    from test_training import assert_same_weights, losses

    config = folder_config(mixed, epochs=3)
    straight, events, final = train(store, config)
    assert isinstance(final, Finished)
    grid = next(e for e in events if isinstance(e, EpochEnded)).grid
    assert grid.shape == (8 * 34 + 2, 8 * 34 + 2, 3)
    with Image.open(straight.sample_file(1)) as png:
        assert png.mode == "RGB" and np.array_equal(np.asarray(png), grid)
    forget_resident()  # a new process would prepare (from the cache) again
    half, _, _ = train(store, config.with_changes(epochs=1))
    half.save_config(config)
    _, events, final = train(store, config, run=half)
    started = next(e for e in events if isinstance(e, Started))
    assert isinstance(final, Finished) and started.epochs_done == 1
    assert_same_weights(straight, half)
    assert losses(straight) == losses(half)


def test_a_folder_run_fails_or_stops_with_a_clear_message(store, tmp_path, mixed):
    write_images(tmp_path / "few", 3)
    run, _, final = train(store, folder_config(tmp_path / "few"))
    assert isinstance(final, Failed) and "fewer than one batch" in final.message
    assert str(tmp_path / "few") in run.info()["message"]
    control = TrainingControl()
    control.stop()
    _, _, final = train(store, folder_config(mixed), control=control)
    assert isinstance(final, Stopped) and "image folder was being prepared" in final.message


def test_evaluation_is_off_with_a_notice_for_a_folder(store, mixed):
    _, events, final = train(store, folder_config(mixed, eval_samples=256, epochs=1))
    assert isinstance(final, Finished)
    notices = [e.message for e in events if isinstance(e, Notice)]
    assert any("Evaluation is off" in m and "not available for dataset folder" in m for m in notices)


def test_scan_is_sorted_recursive_and_keyed_by_content(mixed):
    found = scan(mixed)
    names = [name for name, _, _ in found.files]
    assert names == sorted(names) and "sub/broken.png" in names and "notes.txt" not in names
    assert not any(n.startswith(".") for n in names)
    assert found.key(3, 32) != found.key(3, 64) != found.key(1, 64)
    assert found.key(3, 32) == scan(mixed).key(3, 32)
