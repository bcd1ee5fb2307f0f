"""What a change carries along: the widths follow the image size and architecture, the channels a
dataset of one kind or a folder's images; and data that cannot train is found before a run is
made, in the words training would stop with."""

from __future__ import annotations

import pytest
from PIL import Image

from helpers.image_files import write_images
from workbench.core.config import ConfigError, TrainConfig
from workbench.core.data.training_data import data_problem, images_channels, with_images_channels
from workbench.core.geometry import fitted_widths, follow
from workbench.core.presets import PRESETS, preset_config


def test_widths_are_extended_at_the_deep_end_and_trimmed_there():
    assert fitted_widths([64, 32], "dcgan", 32, generator=True) == [128, 64, 32]
    assert fitted_widths([32, 64], "dcgan", 32, generator=False) == [32, 64, 128]
    assert fitted_widths([512, 256, 128, 64], "dcgan", 32, generator=True) == [256, 128, 64]  # cifar10-dcgan's
    assert fitted_widths([64, 128, 256, 512], "dcgan", 28, generator=False) == [64, 128]
    assert fitted_widths([3000, 64], "dcgan", 64, generator=True) == [4096, 4096, 3000, 64]  # the allowed maximum
    assert fitted_widths([32, 64, 128], "mlp", 64, generator=True) == [32, 64, 128]  # any count
    assert fitted_widths([128], "dcgan-small", 28, generator=False) == [128, 256, 512]


def test_every_preset_at_every_size_and_family_it_allows_is_valid_once_the_widths_follow():
    for name in PRESETS:
        base = preset_config(name).to_dict() | {"image_folder": "x"}
        for architecture in ("mlp", "dcgan"):
            for size in ("28", "32", "64"):
                TrainConfig.from_changes(base, {"architecture": architecture, "image_size": size})


def test_given_widths_and_channels_are_kept_and_refused_with_the_flag_example():
    base = preset_config("cpu-fast").to_dict()
    assert TrainConfig.from_changes(base, {"dataset": "cifar10"}).channels == 3
    assert follow(base | {"dataset": "kmnist"}, {"dataset"})["channels"] == 1
    with pytest.raises(ConfigError) as info:
        TrainConfig.from_changes(base, {"image_size": "32", "g_widths": "64,32"})
    assert [str(e) for e in info.value.errors] == [
        "g_widths: [64, 32] is not allowed; expected exactly 3 values for architecture dcgan at image_size 32, "
        "e.g. 128,64,32"]
    with pytest.raises(ConfigError, match="channels: 1 is not allowed; expected 3 for dataset cifar10"):
        TrainConfig.from_changes(base, {"dataset": "cifar10", "channels": "1"})
    untouched = TrainConfig.from_changes(base, {"epochs": "3"})  # nothing about the geometry changed
    assert untouched.g_widths == [64, 32] and untouched.epochs == 3


def test_a_folder_takes_its_channels_from_its_images_unless_they_are_chosen(tmp_path):
    write_images(tmp_path / "grey", 4, modes=("L",), kinds=("png", "jpg", "bmp"))
    write_images(tmp_path / "mixed", 4, modes=("L", "L", "L", "RGB"))
    for name, palette in (("grey-palette", [v for v in range(256) for _ in range(3)]),
                          ("colour-palette", [255, 0, 0, 0, 0, 255] + [0] * 762)):
        (tmp_path / name).mkdir()
        image = Image.new("P", (8, 8))
        image.putpalette(palette)
        image.save(tmp_path / name / "a.png")
    assert images_channels(str(tmp_path / "grey")) == 1 and images_channels(str(tmp_path / "mixed")) == 3
    assert images_channels(str(tmp_path / "grey-palette")) == 1
    assert images_channels(str(tmp_path / "colour-palette")) == 3
    assert images_channels(str(tmp_path / "none")) is None and images_channels("") is None
    base = preset_config("cpu-fast").to_dict()
    folder = {"dataset": "folder", "image_folder": str(tmp_path / "mixed")}
    assert with_images_channels(base, folder) == folder | {"channels": 3}
    assert with_images_channels(base, folder | {"channels": "1"}) == folder | {"channels": "1"}
    saved = base | folder | {"channels": 1}
    assert with_images_channels(saved, {"epochs": "2"}) == {"epochs": "2"}  # a saved folder config keeps its own


def test_data_that_cannot_train_is_found_before_anything_is_loaded(tmp_path, monkeypatch):
    write_images(tmp_path / "few", 3)
    (tmp_path / "empty").mkdir()
    folder = preset_config("cpu-fast").with_changes(dataset="folder", batch_size=4)
    assert data_problem(folder.with_changes(image_folder=str(tmp_path / "few"))) == (
        f"The image folder {tmp_path / 'few'} has 3 images, fewer than one batch of 4: add images or lower the "
        f"batch size.")
    assert data_problem(folder.with_changes(image_folder=str(tmp_path / "few"), batch_size=3)) is None
    assert "holds no images" in data_problem(folder.with_changes(image_folder=str(tmp_path / "empty")))
    assert "does not exist" in data_problem(folder.with_changes(image_folder=str(tmp_path / "gone")))
    missing = preset_config("cpu-fast").with_changes(data_dir=str(tmp_path / "nowhere"))
    problem = data_problem(missing)  # the tests run with WORKBENCH_OFFLINE set
    assert problem.startswith("The mnist dataset was not found and could not be downloaded (downloading is "
                              "turned off)") and "MNIST/raw" in problem
    monkeypatch.delenv("WORKBENCH_OFFLINE")
    assert data_problem(missing) is None  # training may still download it
