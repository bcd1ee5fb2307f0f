"""Exploring a trained generator: seeds, interpolations, walks, any kept epoch, every output
format, and the training as an animated GIF."""

import numpy as np
import pytest
import torch
from PIL import Image

from workbench.cli import main
from workbench.core.outputs.generation import (
    LoadedGenerator,
    generate,
    interpolation_latents,
    save_images,
    seed_latent,
    walk_latents,
)
from workbench.core.presets import preset_config
from workbench.core.store.runs import RunStore


@pytest.fixture
def run(data, capsys):
    assert main(["train", "--preset", "mlp-small", "--epochs", "3", "--max-batches", "5", "--name", "g",
                 "--keep-checkpoint-every", "1"]) == 0
    capsys.readouterr()
    return RunStore().get("g")


def test_interpolation_ends_at_the_seeds_own_points_and_keeps_normal_norms():
    config = preset_config("mlp-small")
    path = interpolation_latents(config, 3, 9, 7)
    assert path.shape == (7, config.latent_size)
    assert torch.equal(path[0], seed_latent(config, 3)[0]) and torch.equal(path[-1], seed_latent(config, 9)[0])
    norms = path.norm(dim=1)
    assert float(norms.min()) > 0.9 * float(norms[[0, -1]].min())  # spherical: no dip through the origin
    straight = interpolation_latents(config, 3, 9, 7, spherical=False)
    assert torch.allclose(straight[3], (path[0] + path[-1]) / 2, atol=1e-6)
    uniform = preset_config("mlp-dropout")  # uniform noise: linear, inside the box
    assert interpolation_latents(uniform, 1, 2, 5).abs().max() <= 1


def test_walk_changes_only_its_dimension():
    config = preset_config("mlp-small")
    walk = walk_latents(config, 5, 7, -2.0, 2.0, 5)
    base = seed_latent(config, 5)[0]
    others = [d for d in range(config.latent_size) if d != 7]
    assert torch.equal(walk[:, others], base[others].expand(5, -1))
    assert walk[:, 7].tolist() == [-2.0, -1.0, 0.0, 1.0, 2.0]
    with pytest.raises(ValueError, match="dimension 100"):
        walk_latents(config, 5, 100, -1, 1, 3)


def test_images_of_the_interpolation_ends_equal_the_seeds_samples(run):
    loaded = LoadedGenerator(run)
    images = loaded.render(interpolation_latents(loaded.config, 1, 2, 6))
    # the same latent points; a batch of one may round differently in the last bit
    assert np.allclose(images[0], loaded.render(seed_latent(loaded.config, 1))[0], atol=1e-6)
    assert np.allclose(images[-1], loaded.render(seed_latent(loaded.config, 2))[0], atol=1e-6)
    assert not np.array_equal(images[0], images[-1])


def test_any_kept_epoch_can_be_loaded_and_differs(run):
    first, latest = LoadedGenerator(run, epoch=1), LoadedGenerator(run)
    assert (first.epoch, latest.epoch) == (1, 3)
    z = seed_latent(first.config, 0)
    assert not np.array_equal(first.render(z), latest.render(z))
    assert np.array_equal(generate(run, 4, 0, epoch=3), generate(run, 4, 0))


def test_every_output_format_is_written_and_readable(run, tmp_path):
    loaded = LoadedGenerator(run)
    images = loaded.render(walk_latents(loaded.config, 0, 3, -3, 3, 5))
    written = save_images(images, tmp_path / "walk.npy", tmp_path / "each")
    array = np.load(tmp_path / "walk.npy")
    assert array.shape == (5, 28, 28) and array.dtype == np.float32 and 0 <= array.min() <= array.max() <= 1
    assert np.allclose(array, images)
    singles = sorted((tmp_path / "each").glob("image-*.png"))
    assert len(singles) == 5 and len(written) == 6
    assert np.array_equal(np.asarray(Image.open(singles[2])), (images[2] * 255 + 0.5).astype(np.uint8))
    save_images(images, tmp_path / "walk.png", nrow=5)
    assert Image.open(tmp_path / "walk.png").size == (5 * 30 + 2, 32)
    with pytest.raises(ValueError, match="jpg"):
        save_images(images, tmp_path / "walk.jpg")


def test_cli_sample_interpolate_walk_epoch_and_outputs(run, tmp_path, capsys):
    assert main(["sample", "g", "--interpolate", "1", "2", "--steps", "6", "--out", str(tmp_path / "i.npy")]) == 0
    assert "interpolation from seed 1 to 2 (epoch 3, 6 images)" in capsys.readouterr().out
    interp = np.load(tmp_path / "i.npy")
    loaded = LoadedGenerator(run)
    assert np.allclose(interp[0], loaded.render(seed_latent(loaded.config, 1))[0], atol=1e-6)
    assert main(["sample", "g", "--walk", "4", "--range", "-1", "1", "--steps", "3", "--epoch", "1",
                 "--out-dir", str(tmp_path / "w")]) == 0
    assert len(list((tmp_path / "w").glob("*.png"))) == 3 and "epoch 1" in capsys.readouterr().out
    assert main(["sample", "g", "--count", "9", "--out", str(tmp_path / "s.png")]) == 0
    assert Image.open(tmp_path / "s.png").size == (3 * 30 + 2,) * 2


def test_cli_sample_reports_every_bad_option_at_once(run, tmp_path, capsys):
    code = main(["sample", "g", "--interpolate", "1", "2", "--walk", "3", "--steps", "1", "--count", "0",
                 "--out", str(tmp_path / "x.jpg")])
    err = capsys.readouterr().err
    assert code == 2 and "not both" in err and "steps: 1" in err and "count: 0" in err and "x.jpg" in err
    assert main(["sample", "g", "--epoch", "9", "--out", str(tmp_path / "x.png")]) == 1
    assert "epoch: 9 has no checkpoint" in capsys.readouterr().err
    assert main(["sample", "g", "--walk", "500", "--out", str(tmp_path / "x.png")]) == 2
    assert "dimension 500" in capsys.readouterr().err


def test_export_gif_has_one_labelled_frame_per_epoch(run, tmp_path, capsys):
    assert main(["export", "g", "--gif", str(tmp_path / "t.gif")]) == 0
    assert "3 frames" in capsys.readouterr().out
    gif = Image.open(tmp_path / "t.gif")
    assert gif.n_frames == 3 and gif.info.get("loop") == 0
    frames = []
    for i in range(3):
        gif.seek(i)
        frames.append(np.asarray(gif.convert("L")))
    assert frames[0].shape[0] == Image.open(run.sample_file(1)).size[1] + 18
    assert not np.array_equal(frames[0], frames[2])
    assert main(["export", "g"]) == 2 and "--gif" in capsys.readouterr().err


def test_comparison_gif_puts_runs_side_by_side_under_a_shared_epoch(run, data, tmp_path, capsys):
    from workbench.core.outputs.animation import write_gif

    assert main(["train", "--preset", "mlp-small", "--epochs", "2", "--max-batches", "3", "--name", "h"]) == 0
    other = RunStore().get("h")
    frames = write_gif([run, other], tmp_path / "both.gif", names=["g", "h"])
    gif = Image.open(tmp_path / "both.gif")
    width = Image.open(run.sample_file(1)).size[0]
    assert frames == gif.n_frames == 3 and gif.size[0] == 2 * width + 8


def test_loading_and_rendering_never_move_the_global_random_stream(run):
    torch.manual_seed(5)
    before = torch.get_rng_state()
    loaded = LoadedGenerator(run, epoch=2)
    loaded.render(interpolation_latents(loaded.config, 0, 1, 4))
    assert torch.equal(before, torch.get_rng_state())
