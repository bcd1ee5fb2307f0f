"""The best epoch is kept: best.pt holds the checkpoint of the lowest Fréchet score so far and
best.json says which epoch and score, whatever later epochs score, through trimming, resume,
a process killed between the two files, evaluation after the fact and `check --repair`.
Scores are scripted (helpers.scripted_scores) so which epoch is best is known."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

import workbench.core.atomic as atomic
import workbench.core.store.best_epoch as best_epoch
from helpers.scripted_scores import script_scores
from workbench.core.events import BatchProgress, EpochEnded, Finished, Stopped, TrainingControl
from workbench.core.presets import preset_config
from workbench.core.store.best_epoch import BestEpoch, read_best
from workbench.core.store.check import check_run, repair_run
from workbench.core.store.checkpoints import load_checkpoint
from workbench.core.store.epoch_checkpoints import checkpoint_for
from workbench.core.store.runs import Run, RunStore
from workbench.core.training.trainer import Trainer


class Killed(BaseException):
    """Stands for the process dying: nothing in the trainer catches it."""


@pytest.fixture
def store(isolated_home, data):
    return RunStore()


def config(epochs: int, **changes):
    return preset_config("mlp-small").with_changes(**{"epochs": epochs, "max_batches": 3, "eval_samples": 256,
                                                      "device": "cpu", **changes})


def best_pt(run: Run) -> dict:
    return load_checkpoint(run.checkpoints_dir / "best.pt")


def same_generator(a: dict, b: dict) -> bool:
    return all(torch.equal(a["generator"][k], b["generator"][k]) for k in a["generator"])


def test_a_run_ending_worse_than_its_best_keeps_the_best_epoch(store, monkeypatch):
    script_scores(monkeypatch, [3.0, 1.5, 2.5, 1.2, 4.0])
    written, bests, latest_of = [], [], {}
    real_write = atomic.write_streamed

    def write_streamed(path, write, size):  # every atomic write goes through it
        if path.name.startswith("best"):
            written.append(path.name)
        return real_write(path, write, size)

    monkeypatch.setattr(atomic, "write_streamed", write_streamed)
    run = store.create(config(5))

    def on_event(event):
        if isinstance(event, EpochEnded):
            bests.append(read_best(run.checkpoints_dir))
            latest_of[event.epoch] = load_checkpoint(run.latest_checkpoint)

    assert isinstance(Trainer(config(5), run).fit(on_event), Finished)
    assert bests == [BestEpoch(1, 3.0), BestEpoch(2, 1.5), BestEpoch(2, 1.5), BestEpoch(4, 1.2), BestEpoch(4, 1.2)]
    # replaced three times, each by an atomic write of best.pt and then of best.json
    assert written == ["best.pt", "best.json"] * 3
    assert json.loads((run.checkpoints_dir / "best.json").read_text()) == {"epoch": 4, "quality": 1.2}
    kept = best_pt(run)
    assert kept["epoch"] == 4 and same_generator(kept, latest_of[4]) and not same_generator(kept, latest_of[5])
    assert run.summary().best == BestEpoch(4, 1.2) and run.summary().quality == 4.0
    target = checkpoint_for(run, 4)  # the only file holding epoch 4: the run keeps no epoch files
    assert target.path.name == "best.pt" and not target.mid_epoch and checkpoint_for(run).epoch == 5
    assert not list(run.checkpoints_dir.glob(".*.tmp"))


def test_an_unscored_run_keeps_no_best(store):
    run = store.create(config(2, eval_samples=0))
    assert isinstance(Trainer(config(2, eval_samples=0), run).fit(), Finished)
    assert read_best(run.checkpoints_dir) is None and run.summary().best is None
    assert not (run.checkpoints_dir / "best.pt").exists()


@pytest.fixture
def best_at_3(store, monkeypatch):
    """A finished 5-epoch run whose best is epoch 3, keeping every epoch's checkpoint."""
    script_scores(monkeypatch, [3.0, 2.0, 1.0, 2.0, 3.0])
    run = store.create(config(5, keep_checkpoint_every=1))
    assert isinstance(Trainer(config(5, keep_checkpoint_every=1), run).fit(), Finished)
    assert read_best(run.checkpoints_dir) == BestEpoch(3, 1.0)
    return run


def test_trimming_keeps_the_best_unless_its_epoch_goes(best_at_3, tmp_path):
    copy = Run(shutil.copytree(best_at_3.path, tmp_path / best_at_3.id))
    assert best_at_3.trim_to(4) and read_best(best_at_3.checkpoints_dir) == BestEpoch(3, 1.0)
    assert not any("best" in change for change in best_at_3.trim_to(3))
    assert read_best(best_at_3.checkpoints_dir) == BestEpoch(3, 1.0)
    changes = copy.trim_to(2)
    assert "removed the best checkpoint (epoch 3, beyond epoch 2)" in changes
    assert not (copy.checkpoints_dir / "best.pt").exists() and not (copy.checkpoints_dir / "best.json").exists()


def test_repair_trims_to_the_checkpoint_and_keeps_an_earlier_best(best_at_3):
    run = best_at_3
    state = load_checkpoint(run.epoch_checkpoint(4))
    shutil.copy(run.epoch_checkpoint(4), run.latest_checkpoint)  # as if epoch 5 was never saved
    assert state["epoch"] == 4 and not check_run(run).ok
    repair_run(run)
    assert check_run(run).ok and read_best(run.checkpoints_dir) == BestEpoch(3, 1.0)


def test_resume_after_a_stop_mid_epoch_keeps_the_best_and_goes_on_offering(store, monkeypatch):
    script_scores(monkeypatch, [2.0, 1.0, 1.5, 0.5])
    run = store.create(config(4))
    control = TrainingControl()

    def on_event(e):
        if isinstance(e, BatchProgress) and e.epoch == 3 and e.batch == 2:
            control.stop()

    assert isinstance(Trainer(config(4), run, progress_interval=0.0).fit(on_event, control), Stopped)
    assert read_best(run.checkpoints_dir) == BestEpoch(2, 1.0)
    assert isinstance(Trainer(config(4), run).fit(), Finished)
    assert read_best(run.checkpoints_dir) == BestEpoch(4, 0.5) and best_pt(run)["epoch"] == 4


def test_killed_between_best_pt_and_best_json_then_check_and_resume_put_it_right(store, monkeypatch):
    script_scores(monkeypatch, [2.0, 1.0, 3.0])
    real_record = best_epoch.write_record

    def killed_after_best_pt(folder, best):
        if best.epoch == 2:
            raise Killed
        return real_record(folder, best)

    run = store.create(config(3))
    with monkeypatch.context() as patch:
        patch.setattr(best_epoch, "write_record", killed_after_best_pt)
        with pytest.raises(Killed):
            Trainer(config(3), run).fit()
    assert read_best(run.checkpoints_dir) == BestEpoch(1, 2.0) and best_pt(run)["epoch"] == 2  # disagree
    result = check_run(run)
    assert any("best.json says epoch 1" in p and "holds epoch 2" in p for p in result.problems), result
    assert isinstance(Trainer(config(3), run).fit(), Finished)  # the resume settles best.json first
    assert read_best(run.checkpoints_dir) == BestEpoch(2, 1.0) and best_pt(run)["epoch"] == 2
    assert check_run(run).ok


def test_check_repair_rewrites_or_drops_a_best_json_that_lies(best_at_3):
    run = best_at_3
    (run.checkpoints_dir / "best.json").write_text('{"epoch": 5, "quality": 0.1}')
    assert any("best.json says epoch 5" in p for p in check_run(run).problems)
    assert any("rewrote best.json" in change for change in repair_run(run))
    assert read_best(run.checkpoints_dir) == BestEpoch(3, 1.0) and check_run(run).ok
    (run.checkpoints_dir / "best.pt").unlink()
    assert check_run(run).problems == ["best.json has no best.pt beside it"]
    repair_run(run)
    assert check_run(run).ok and not (run.checkpoints_dir / "best.json").exists()


def test_evaluating_stored_epochs_keeps_the_best_scored_one(store, monkeypatch):
    from workbench.core.evaluation.run_scores import evaluate_all_epochs, evaluate_run

    run = store.create(config(3, eval_samples=0, keep_checkpoint_every=1))
    assert isinstance(Trainer(config(3, eval_samples=0, keep_checkpoint_every=1), run).fit(), Finished)
    assert read_best(run.checkpoints_dir) is None
    script_scores(monkeypatch, [2.0, 1.0, 3.0, 0.5, 0.7])
    evaluate_all_epochs(run, samples=256)
    assert read_best(run.checkpoints_dir) == BestEpoch(2, 1.0)
    assert same_generator(best_pt(run), load_checkpoint(run.epoch_checkpoint(2)))
    evaluate_run(run, 3, samples=256)  # epoch 3 scored again, now better
    assert read_best(run.checkpoints_dir) == BestEpoch(3, 0.5)
    assert same_generator(best_pt(run), load_checkpoint(run.epoch_checkpoint(3)))
    evaluate_run(run, 3, samples=256)  # and again, worse than before but still the best
    assert read_best(run.checkpoints_dir) == BestEpoch(3, 0.7)
    assert run.summary().best == BestEpoch(3, 0.7)


def test_best_json_is_read_without_torch_and_bad_ones_are_no_best(tmp_path):
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    (folder / "best.pt").write_bytes(b"weights")
    for text in ('{"epoch": 3}', '{"epoch": 0, "quality": 1.0}', '{"epoch": 2, "quality": NaN}', "[1, 2]", "{"):
        (folder / "best.json").write_text(text)
        assert read_best(folder) is None, text
    (folder / "best.json").write_text('{"epoch": 3, "quality": 1.84}')
    assert read_best(folder) == BestEpoch(3, 1.84) and read_best(folder).describe() == "3 (1.84)"
    (folder / "best.pt").unlink()
    assert read_best(folder) is None


def test_a_score_of_a_newer_classifier_replaces_a_best_of_an_older_one(tmp_path):
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    source = tmp_path / "latest.pt"
    source.write_bytes(b"weights")
    (folder / "best.pt").write_bytes(b"weights")
    (folder / "best.json").write_text('{"epoch": 2, "quality": 1.0}')  # written before versions were kept
    assert best_epoch.offer_best(folder, 3, 5.0, source, classifier_version=3)  # another scale: replaces
    assert read_best(folder) == BestEpoch(3, 5.0) and read_best(folder).classifier_version == 3
    assert not best_epoch.offer_best(folder, 4, 6.0, source, classifier_version=3)  # same scale: compared
    assert best_epoch.offer_best(folder, 5, 4.0, source, classifier_version=3)
    assert not best_epoch.offer_best(folder, 6, 4.5, source)  # no version given: compared as a number
    assert best_epoch.offer_best(folder, 7, 9.0, source, classifier_version=4)
    assert json.loads((folder / "best.json").read_text()) == {"epoch": 7, "quality": 9.0, "classifier_version": 4}
