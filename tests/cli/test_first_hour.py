"""The first hour on the command line: a folder of colour pictures trains in colour at another
size with no other flag, and data that cannot train is refused before any run is made."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from workbench.cli import main
from workbench.core.store.runs import RunStore


def colour_pngs(folder, count: int):
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True)
    for i in range(count):
        Image.fromarray(rng.integers(0, 256, (40, 36, 3), dtype=np.uint8)).save(folder / f"{i:03d}.png")
    return folder


def test_a_folder_of_colour_pngs_trains_in_colour_at_32_px_with_no_other_flag(tmp_path, capsys, monkeypatch):
    from workbench.core.presets import FALLBACK_PRESET, PRESETS

    # the default's networks draw 28 px only: at 32 px a train without a preset starts from
    # cpu-fast, whose layout takes 32 (made shorter here: a quick test)
    monkeypatch.setattr(PRESETS[FALLBACK_PRESET].config, "epochs", 1)
    folder = colour_pngs(tmp_path / "pictures", 64)  # one batch of cpu-fast's 64 per epoch
    assert main(["train", "--dataset", "folder", "--image-folder", str(folder), "--image-size", "32"]) == 0
    out = capsys.readouterr().out
    (run,) = RunStore().runs()
    config = run.config()
    assert (config.channels, config.image_size, config.architecture) == (3, 32, "dcgan")
    assert (config.g_widths, config.d_widths) == ([128, 64, 32], [32, 64, 128])  # cpu-fast's, one block more
    assert "Finished: 1 epoch." in out
    assert Image.open(run.sample_file(config.epochs)).mode == "RGB"


def test_widths_given_that_do_not_fit_are_refused_naming_the_flag_with_an_example(tmp_path, capsys):
    folder = colour_pngs(tmp_path / "pictures", 4)
    args = ["train", "--dataset", "folder", "--image-folder", str(folder), "--image-size", "64", "--dry-run"]
    assert main(args + ["--g-widths", "64,32"]) == 2
    assert ("g_widths (--g-widths): [64, 32] is not allowed; expected exactly 4 values for architecture dcgan at "
            "image_size 64, e.g. 256,128,64,32") in capsys.readouterr().err
    assert main(args + ["--batch-size", "4"]) in (0, 1)  # 1 only when the disk is short
    assert "g_widths: [256, 128, 64, 32]" in capsys.readouterr().out


@pytest.mark.parametrize("case", ["empty folder", "fewer than a batch", "missing files"])
def test_data_that_cannot_train_is_refused_before_a_run_is_made(tmp_path, capsys, case):
    if case == "missing files":  # the tests never download (WORKBENCH_OFFLINE)
        args, expected = ["--data-dir", str(tmp_path / "nowhere")], "The mnist dataset was not found"
    elif case == "empty folder":
        (tmp_path / "empty").mkdir()
        args, expected = ["--dataset", "folder", "--image-folder", str(tmp_path / "empty")], "holds no images"
    else:
        folder = colour_pngs(tmp_path / "few", 3)
        args, expected = (["--dataset", "folder", "--image-folder", str(folder)],
                          f"The image folder {folder} has 3 images, fewer than one batch of 64")
    for extra in ([], ["--dry-run"]):
        assert main(["train", *args, *extra]) == 2
        err = capsys.readouterr().err
        assert expected in err and "Traceback" not in err
    assert main(["sweep", "--set", "seed=1,2", *args]) == 2
    assert expected in capsys.readouterr().err
    assert RunStore().runs() == [] and not RunStore().root.exists()
