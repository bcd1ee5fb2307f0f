"""Channels and image size: validation with the dataset and the family, every family at every
size and channel count, old configs, resized built-in sets, CIFAR-10 in torchvision's layout,
colour grids and where the images live on a GPU."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from helpers.image_files import write_fake_cifar10, write_images
from workbench.core.config import ConfigError, TrainConfig
from workbench.core.data.datasets import DatasetMissing, load_images, resize_images
from workbench.core.data.placement import GIB, choose_placement, forget_resident
from workbench.core.events import EpochEnded, Finished
from workbench.core.nets.models import build_discriminator, build_generator
from workbench.core.nets.sampling import grid_array, save_png
from workbench.core.store.disk_space import estimate_for_config
from workbench.core.store.runs import RunStore
from workbench.core.training.trainer import Trainer


@pytest.fixture(autouse=True)
def fresh_memory():
    forget_resident()
    yield
    forget_resident()


def errors_of(**values):
    return {e.field: e for e in TrainConfig(**values).validate()}


def test_old_configs_without_geometry_load_as_greyscale_28(tmp_path):
    saved = TrainConfig().to_dict()
    for name in ("channels", "image_size", "image_folder"):
        del saved[name]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(saved))
    config = TrainConfig.load(path)
    assert (config.dataset, config.channels, config.image_size, config.image_folder) == ("mnist", 1, 28, "")


def test_geometry_is_validated_with_the_dataset_and_family_all_at_once():
    errors = errors_of(dataset="cifar10", channels=1, architecture="dcgan-small", image_size=64,
                       g_widths=[8, 8, 8], d_widths=[8, 8, 8])
    assert set(errors) == {"channels", "image_size"}
    assert "3 for dataset cifar10" in str(errors["channels"]) and "channels: 1" in str(errors["channels"])
    assert "28 for architecture dcgan-small" in str(errors["image_size"])
    assert "1 for dataset mnist (greyscale)" in str(errors_of(dataset="mnist", channels=3)["channels"])
    assert "1 for dataset fashion-mnist" in str(errors_of(dataset="fashion-mnist", channels=3)["channels"])
    wrong = errors_of(image_size=64, g_widths=[8, 8], d_widths=[8, 8, 8, 8])
    assert set(wrong) == {"g_widths"} and "exactly 4 values for architecture dcgan at image_size 64" in str(
        wrong["g_widths"])
    assert set(errors_of(channels=2, image_size=48)) == {"channels", "image_size"}
    assert "one of 28, 32, 64" in str(errors_of(image_size=48)["image_size"])


def test_every_dataset_takes_every_size_and_its_channels():
    for dataset, channels in (("mnist", 1), ("kmnist", 1), ("cifar10", 3), ("folder", 1), ("folder", 3)):
        for size, widths in ((28, [8, 8]), (32, [8, 8, 8]), (64, [8, 8, 8, 8])):
            assert errors_of(dataset=dataset, channels=channels, image_size=size, g_widths=widths,
                             d_widths=widths, image_folder="x") == {}


def test_a_folder_needs_its_folder_and_says_data_dir_is_something_else():
    errors = errors_of(dataset="folder", data_dir="/some/where")
    assert set(errors) == {"image_folder"}
    text = str(errors["image_folder"])
    assert "--image-folder" in text and "data_dir is the root of the built-in datasets" in text
    with pytest.raises(ConfigError, match="image_folder"):
        TrainConfig.from_dict({"dataset": "folder"})


FAMILIES = [("mlp", [16], s, c) for s in (28, 32, 64) for c in (1, 3)]
FAMILIES += [("dcgan", [8] * {28: 2, 32: 3, 64: 4}[s], s, c) for s in (28, 32, 64) for c in (1, 3)]
FAMILIES += [("dcgan-small", [8, 8, 8], 28, c) for c in (1, 3)]


@pytest.mark.parametrize("arch,widths,size,channels", FAMILIES,
                         ids=[f"{a}-{c}x{s}" for a, _, s, c in FAMILIES])
def test_every_family_builds_at_every_size_and_trains(arch, widths, size, channels, tmp_path, isolated_home):
    config = TrainConfig(dataset="folder", image_folder=str(tmp_path / "images"), channels=channels,
                         image_size=size, architecture=arch, g_widths=widths, d_widths=widths, latent_size=8,
                         batch_size=4, epochs=1, max_batches=3, grid_size=4)
    g, d = build_generator(config), build_discriminator(config)
    x = g(torch.randn(2, 8))
    assert x.shape == (2, channels, size, size) and d(x).shape == (2,)
    write_images(tmp_path / "images", 8, modes=("RGB", "L"))
    events = []
    final = Trainer(config, RunStore().create(config)).fit(events.append)
    assert isinstance(final, Finished), getattr(final, "message", final)
    ended = next(e for e in events if isinstance(e, EpochEnded))
    assert np.isfinite([ended.d_loss, ended.g_loss]).all()
    assert ended.grid.shape == ((2 * (size + 2) + 2,) * 2 + ((3,) if channels == 3 else ()))


def test_colour_grid_png_is_rgb_and_greyscale_stays_greyscale(tmp_path):
    images = torch.zeros(4, 3, 8, 8)
    images[0, 0] = 1.0  # red
    images[1, 1] = 1.0  # green
    images[2, 2] = 1.0  # blue
    grid = grid_array(images)
    assert grid.shape == (22, 22, 3) and grid.dtype == np.uint8
    assert tuple(grid[5, 5]) == (255, 0, 0) and tuple(grid[5, 15]) == (0, 255, 0) and tuple(grid[15, 5]) == (0, 0, 255)
    save_png(grid, tmp_path / "colour.png")
    with Image.open(tmp_path / "colour.png") as png:
        assert png.mode == "RGB" and np.array_equal(np.asarray(png), grid)
    grey = grid_array(torch.full((4, 1, 8, 8), 0.5))
    assert grey.shape == (22, 22)
    save_png(grey, tmp_path / "grey.png")
    with Image.open(tmp_path / "grey.png") as png:
        assert png.mode == "L" and np.asarray(png)[5, 5] == 128


def test_disk_estimate_follows_the_geometry():
    small = estimate_for_config(TrainConfig(epochs=10))
    big = estimate_for_config(TrainConfig(epochs=10, channels=3, image_size=64, dataset="cifar10",
                                          g_widths=[8, 8, 8, 8], d_widths=[8, 8, 8, 8]))
    assert big.per_epoch > 3 * small.per_epoch


def test_built_in_sets_are_resized_once_with_antialiasing():
    flat = torch.full((3, 1, 28, 28), 200, dtype=torch.uint8)
    assert resize_images(flat, 28) is flat
    bigger = resize_images(flat, 64, chunk=2)
    assert bigger.shape == (3, 1, 64, 64) and bigger.dtype == torch.uint8 and (bigger == 200).all()
    stripes = torch.zeros(1, 1, 64, 64, dtype=torch.uint8)
    stripes[..., ::2] = 255
    assert abs(resize_images(stripes, 32).float().mean().item() - 127.5) < 1  # averaged, not sampled


def test_fake_cifar10_in_torchvision_layout_loads_as_colour(tmp_path, monkeypatch):
    expected = write_fake_cifar10(tmp_path, per_batch=4, monkeypatch=monkeypatch)
    images = load_images("cifar10", tmp_path, "cpu", download=False, size=32)
    assert images.shape == (20, 3, 32, 32) and images.dtype == torch.uint8
    assert np.array_equal(images.numpy(), expected)  # rows are 1024 red, 1024 green, 1024 blue
    forget_resident()
    assert load_images("cifar10", tmp_path, "cpu", download=False, size=64).shape == (20, 3, 64, 64)


def test_missing_cifar10_says_where_and_how(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_OFFLINE", "1")
    with pytest.raises(DatasetMissing, match="downloading is turned off") as info:
        load_images("cifar10", tmp_path / "nowhere", "cpu", size=32)
    text = str(info.value)
    assert str(tmp_path / "nowhere" / "cifar-10-batches-py") in text
    assert "data_batch_1" in text and "cifar-10-python.tar.gz" in text and "--data-dir" in text


def test_gpu_placement_keeps_room_for_training():
    gib = GIB
    fits = choose_placement(int(0.6 * gib), free_bytes=7 * gib, total_bytes=8 * gib)
    assert fits.where == "device" and "fit" in fits.reason
    assert choose_placement(6 * gib, free_bytes=7 * gib, total_bytes=8 * gib).where == "pinned"  # 1.6 GiB kept
    assert choose_placement(int(0.6 * gib), free_bytes=2 * gib, total_bytes=2 * gib).where == "pinned"  # 1.5 GiB
    assert choose_placement(int(0.5 * gib), free_bytes=2 * gib, total_bytes=2 * gib).where == "device"
    big_card = choose_placement(50 * gib, free_bytes=78 * gib, total_bytes=80 * gib)
    assert big_card.where == "device"  # 20% of 80 GiB = 16 GiB kept, 50 + 16 <= 78
    assert choose_placement(63 * gib, free_bytes=78 * gib, total_bytes=80 * gib).where == "pinned"
