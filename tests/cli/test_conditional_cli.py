"""A conditional run (condition: class) from the command line: `sample --class`, `--class all`
and `--morph` with the labels beside a .npy export; export, the best epoch and the TensorBoard
log of a conditional run. One tiny MNIST run is trained once and copied into each test's home."""

import shutil

import numpy as np
import pytest
import torch

from workbench.cli import main
from workbench.core.nets.models import build_generator
from workbench.core.presets import preset_config
from workbench.core.store.runs import RunStore
from workbench.core.training.trainer import Trainer

TINY = dict(condition="class", g_widths=[32, 16, 8], d_widths=[8, 16, 16], epochs=1, max_batches=3,
            eval_samples=256, grid_size=16)


@pytest.fixture(scope="module")
def trained(tmp_path_factory, mnist_root):
    """A one-epoch conditional cpu-quality run, scored (so it keeps a best epoch)."""
    import os

    home = tmp_path_factory.mktemp("conditional-home")
    saved = {k: os.environ.get(k) for k in ("WORKBENCH_HOME", "WORKBENCH_DATA_DIR", "WORKBENCH_OFFLINE")}
    os.environ.update(WORKBENCH_HOME=str(home), WORKBENCH_DATA_DIR=str(mnist_root), WORKBENCH_OFFLINE="1")
    try:
        config = preset_config("cpu-quality").with_changes(**TINY, tensorboard=_has_tensorboard())
        run = RunStore().create(config, name="digits")
        Trainer(config, run).fit()
    finally:
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
    return run.path


def _has_tensorboard() -> bool:
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture
def run(trained, data):
    target = RunStore().root / trained.name
    shutil.copytree(trained, target)
    return RunStore().get(trained.name)


def test_sample_draws_the_asked_class_every_class_and_a_morph(run, tmp_path, capsys):
    assert main(["sample", run.id, "--class", "7", "--count", "6", "--out", str(tmp_path / "seven.npy")]) == 0
    assert "6 samples from seed 0 of class 7" in capsys.readouterr().out
    sevens = np.load(tmp_path / "seven.npy")
    assert sevens.shape == (6, 28, 28) and np.load(tmp_path / "seven.labels.npy").tolist() == [7] * 6

    assert main(["sample", run.id, "--class", "all", "--count", "3", "--out", str(tmp_path / "all.npy")]) == 0
    every = np.load(tmp_path / "all.npy")
    assert np.load(tmp_path / "all.labels.npy").tolist() == [c for c in range(10) for _ in range(3)]
    assert np.array_equal(every[21:24], sevens[:3])  # row 7: the same latent points drawn as a 7

    assert main(["sample", run.id, "--morph", "3", "8", "--steps", "5", "--count", "2",
                 "--out", str(tmp_path / "morph.npy")]) == 0
    morph = np.load(tmp_path / "morph.npy").reshape(2, 5, 28, 28)
    assert not (tmp_path / "morph.labels.npy").exists()
    assert np.allclose(morph[:, 0], every[[9, 10]], atol=1e-6)  # each row starts at class 3's image of its point
    assert np.allclose(morph[:, -1], every[[24, 25]], atol=1e-6)  # and ends at class 8's
    assert np.abs(morph[:, 2] - morph[:, 0]).max() > 1e-4  # and passes between them
    assert main(["sample", run.id, "--class", "all", "--count", "4", "--out", str(tmp_path / "grid.png")]) == 0


def test_conditional_requests_are_refused_with_their_option_named(run, tmp_path, capsys):
    out = str(tmp_path / "x.png")
    assert main(["sample", run.id, "--class", "cat", "--out", out]) == 2
    assert "class: 'cat' is not a class of this run; expected a class name or number: 0, 1" in capsys.readouterr().err
    assert main(["sample", run.id, "--class", "all", "--morph", "1", "2", "--out", out]) == 2
    assert "give either --morph or --class all, not both" in capsys.readouterr().err


def test_an_unconditional_run_refuses_a_class(data, tmp_path, capsys):
    config = preset_config("mlp-small").with_changes(epochs=1, max_batches=1)
    plain = RunStore().create(config)
    Trainer(config, plain).fit()
    assert main(["sample", plain.id, "--class", "3", "--out", str(tmp_path / "x.png")]) == 2
    assert "--class: the run is not conditional" in capsys.readouterr().err


def test_export_best_epoch_and_tensorboard_of_a_conditional_run(run, tmp_path):
    assert (run.checkpoints_dir / "best.pt").exists()  # scored: its best epoch is kept
    assert main(["sample", run.id, "--epoch", "best", "--class", "2", "--out", str(tmp_path / "b.png")]) == 0
    assert main(["export", run.id, "--out", str(tmp_path / "export")]) == 0
    generator = build_generator(run.config(), len(run.read_info().classes))
    generator.load_state_dict(torch.load(tmp_path / "export" / "generator.pt", weights_only=True))
    generator.load_state_dict(torch.load(tmp_path / "export" / "generator-best.pt", weights_only=True))
    scores = run.metrics().epochs[-1]
    assert 0 <= scores["class_accuracy"] <= 1 and scores["intra_quality"] > 0
    if _has_tensorboard():
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

        from workbench.core.training.tensorboard_log import EPOCH_TAGS

        acc = EventAccumulator(str(run.path / "tensorboard"))
        acc.Reload()
        assert [e.value for e in acc.Scalars(EPOCH_TAGS["class_accuracy"])] == pytest.approx(
            [scores["class_accuracy"]])
