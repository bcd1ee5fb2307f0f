"""The best epoch from the command line: `sample` draws from it by default and says so, `--epoch
latest` or a number still reach the others; `export` writes its generator beside the latest's;
`show` names it."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from helpers.scripted_scores import script_scores
from workbench.cli import main
from workbench.core.outputs.generation import LoadedGenerator, seed_latents
from workbench.core.presets import preset_config
from workbench.core.store.best_epoch import BestEpoch, read_best
from workbench.core.store.runs import RunStore
from workbench.core.training.trainer import Trainer


@pytest.fixture
def scored_run(data, monkeypatch):
    """4 epochs scored 3.0, 1.84, 2.5, 4.0: the best is epoch 2, the run keeps no epoch files."""
    script_scores(monkeypatch, [3.0, 1.84, 2.5, 4.0])
    config = preset_config("mlp-small").with_changes(epochs=4, max_batches=3, eval_samples=256, device="cpu")
    run = RunStore().create(config, name="scored")
    assert type(Trainer(config, run).fit()).__name__ == "Finished"
    assert read_best(run.checkpoints_dir) == BestEpoch(2, 1.84)
    return run


def expected(run, epoch, count=4, seed=1) -> np.ndarray:
    loaded = LoadedGenerator(run, epoch)
    return loaded.render(seed_latents(loaded.config, count, seed))


def test_sample_uses_the_best_epoch_unless_told_otherwise(scored_run, tmp_path, capsys):
    run = scored_run
    out = tmp_path / "best.npy"
    assert main(["sample", run.id, "--count", "4", "--seed", "1", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "(epoch 2, the best: Fréchet score 1.84, 4 images)" in said
    assert np.array_equal(np.load(out), expected(run, 2))
    assert main(["sample", run.id, "--count", "4", "--seed", "1", "--epoch", "best", "--out", str(out)]) == 0
    assert "epoch 2, the best" in capsys.readouterr().out
    assert main(["sample", run.id, "--count", "4", "--seed", "1", "--epoch", "latest", "--out", str(out)]) == 0
    assert "(epoch 4, 4 images)" in capsys.readouterr().out
    assert np.array_equal(np.load(out), expected(run, 4)) and not np.array_equal(np.load(out), expected(run, 2))
    assert main(["sample", run.id, "--count", "4", "--epoch", "4", "--out", str(out)]) == 0
    assert "(epoch 4, 4 images)" in capsys.readouterr().out
    assert main(["sample", run.id, "--epoch", "3", "--out", str(out)]) == 1  # neither kept nor best
    assert "epochs with one: 2, 4" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["sample", run.id, "--epoch", "newest", "--out", str(out)])
    assert usage.value.code == 2
    assert "expected a number, latest or best" in capsys.readouterr().err


def test_sample_of_an_unscored_run_uses_the_latest_and_best_is_refused(data, tmp_path, capsys):
    config = preset_config("mlp-small").with_changes(epochs=1, max_batches=3, device="cpu")
    run = RunStore().create(config, name="plain")
    Trainer(config, run).fit()
    assert main(["sample", run.id, "--count", "4", "--out", str(tmp_path / "s.png")]) == 0
    assert "(epoch 1, 4 images)" in capsys.readouterr().out
    assert main(["sample", run.id, "--epoch", "best", "--out", str(tmp_path / "s.png")]) == 1
    assert "keeps no best epoch" in capsys.readouterr().err


def test_export_writes_the_best_generator_beside_the_latest(scored_run, tmp_path, capsys):
    from workbench.core.nets.models import build_generator
    from workbench.core.store.checkpoints import load_checkpoint

    out = tmp_path / "export"
    assert main(["export", scored_run.id, "--out", str(out)]) == 0
    assert json.loads((out / "best.json").read_text()) == {"epoch": 2, "quality": 1.84}
    best = torch.load(out / "generator-best.pt", weights_only=True)
    latest = torch.load(out / "generator.pt", weights_only=True)
    kept = load_checkpoint(scored_run.checkpoints_dir / "best.pt")["generator"]
    assert all(torch.equal(best[k], kept[k]) for k in kept)
    assert not all(torch.equal(best[k], latest[k]) for k in kept)
    build_generator(scored_run.config()).load_state_dict(best)
    assert str(out / "generator-best.pt") in capsys.readouterr().out
    assert main(["show", scored_run.id]) == 0
    assert "best epoch: 2 (Fréchet score 1.840)" in capsys.readouterr().out

