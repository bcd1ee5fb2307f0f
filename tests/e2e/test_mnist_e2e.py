"""End to end: the installed command trains presets on real MNIST for a few hundred batches,
and what it learns is visible in the numbers (generated images drift toward MNIST's
statistics), then the run is reloaded and sampled."""

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from workbench.core.outputs.generation import generate
from workbench.core.presets import DEFAULT_PRESET
from workbench.core.store.runs import RunStore

pytestmark = pytest.mark.e2e


def cli(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "workbench", *args], capture_output=True, text=True,
                          timeout=timeout, env=os.environ.copy())


def grid_mean(path):
    return np.asarray(Image.open(path), dtype=float).mean() / 255


def test_mlp_small_learns_on_real_mnist(data):
    done = cli("train", "--preset", "mlp-small", "--epochs", "2", "--max-batches", "200", "--name", "e2e")
    assert done.returncode == 0, done.stderr
    run = RunStore().get("e2e")
    metrics = run.metrics().epochs
    assert [m["epoch"] for m in metrics] == [1, 2]
    assert all(np.isfinite([m["d_loss"], m["g_loss"]]).all() for m in metrics)
    # an untrained tanh generator paints mid-grey (~0.5); MNIST digits are mostly black (~0.13)
    last = grid_mean(run.sample_file(2))
    assert last < 0.35, last
    fresh = generate(run, 64, seed=1)
    assert fresh.std() > 20  # not a flat image: strokes on a dark background


def test_dcgan_small_trains_with_rotation_on_real_mnist(data):
    done = cli("train", "--preset", "dcgan-small", "--epochs", "1", "--max-batches", "250", "--name", "e2e-dc")
    assert done.returncode == 0, done.stderr
    run = RunStore().get("e2e-dc")
    (m,) = run.metrics().epochs
    assert np.isfinite([m["d_loss"], m["g_loss"], m["d_real"], m["d_fake"]]).all()
    assert run.summary().status == "finished"


def test_default_preset_scores_every_epoch_and_its_digits_improve(data):
    """The new user's first run: `train` with no preset, a few hundred batches, scored by the
    shipped digit classifier after every epoch."""
    done = cli("train", "--epochs", "2", "--max-batches", "250", "--name", "first")
    assert done.returncode == 0, done.stderr
    run = RunStore().get("first")
    first, second = run.metrics().epochs
    assert run.info()["preset"] == DEFAULT_PRESET == "cpu-quality"
    assert second["quality"] < first["quality"], (first["quality"], second["quality"])
    # the default starts slowly (about 50 after 500 batches, 3 after 8 whole epochs): this
    # checks that it learns, not how well
    assert second["quality"] < 60 and second["class_balance"] > 0.6, second
    shown = cli("runs")
    assert f"{second['quality']:8.3f}".strip() in shown.stdout
