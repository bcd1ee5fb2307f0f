"""The trainer on real MNIST (small runs): events, run folder, exact resume, NaN stop,
refused checkpoints, killed processes and the write lock."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from workbench.core.events import (
    BatchProgress,
    EpochEnded,
    Failed,
    FailureReason,
    Finished,
    Started,
    Stopped,
    TrainingControl,
    TrainingEvent,
)
from workbench.core.presets import preset_config
from workbench.core.store.checkpoints import CheckpointError, load_checkpoint
from workbench.core.store.runs import RunStore
from workbench.core.training.trainer import Trainer


@pytest.fixture
def store(isolated_home, mnist_root, monkeypatch):
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(mnist_root))
    return RunStore()


def train(store, config, run=None, **kw):
    run = run or store.create(config)
    events = []
    final = Trainer(config, run, **kw).fit(events.append)
    return run, events, final


def test_run_emits_events_and_writes_a_complete_run_folder(store):
    config = preset_config("mlp-small").with_changes(epochs=2, max_batches=20)
    run, events, final = train(store, config, progress_interval=0.0)
    kinds = [type(e) for e in events]
    assert kinds[0] is Started and kinds[-1] is Finished and isinstance(final, Finished)
    assert all(isinstance(e, TrainingEvent) for e in events)  # the callback's declared type
    assert kinds.count(EpochEnded) == 2 and BatchProgress in kinds
    ended = [e for e in events if isinstance(e, EpochEnded)]
    for e in ended:
        assert all(np.isfinite([e.d_loss, e.g_loss, e.d_real, e.d_fake]))
        assert e.grid.dtype == np.uint8 and e.grid.shape == (8 * 28 + 9 * 2,) * 2
        assert 0 < len(e.batch_d_loss) <= 20
    info = run.info()
    assert info["status"] == "finished" and info["epochs_done"] == 2 and info["device"] == "cpu"
    assert info["versions"]["torch"] == torch.__version__
    assert [m["epoch"] for m in run.metrics().epochs] == [1, 2]
    assert run.sample_epochs() == [1, 2]
    state = load_checkpoint(run.latest_checkpoint)
    assert state["epoch"] == 2 and state["fixed_noise"].shape == (64, 100)


def test_fixed_noise_depends_only_on_seed_and_latent_size(store):
    a = preset_config("mlp-small").with_changes(epochs=1, max_batches=2, seed=5)
    b = a.with_changes(g_widths=[64], lr_g=0.001)
    ra, _, _ = train(store, a)
    rb, _, _ = train(store, b)
    assert torch.equal(load_checkpoint(ra.latest_checkpoint)["fixed_noise"],
                       load_checkpoint(rb.latest_checkpoint)["fixed_noise"])


def weights(run):
    state = load_checkpoint(run.latest_checkpoint)
    return state["generator"], state["discriminator"], (state.get("generator_ema") or {}).get("weights", {})


def assert_same_weights(a, b):
    for sa, sb in zip(weights(a), weights(b)):
        assert sa.keys() == sb.keys()
        for k in sa:
            assert torch.equal(sa[k], sb[k]), k


def losses(run):
    """Per-epoch values that must match exactly, evaluation scores included when present."""
    return [(m["d_loss"], m["g_loss"], m["d_real"], m["d_fake"], m.get("quality"), m.get("class_hist"))
            for m in run.metrics().epochs]


HINGE_SPECTRAL = {"loss": "hinge", "d_norm": "spectral"}


@pytest.mark.parametrize("preset,eval_samples,changes", [
    ("mlp-dropout", 0, {}), ("dcgan-small", 0, {}), ("dcgan-small", 300, {}), ("cpu-fast", 0, HINGE_SPECTRAL)])
def test_resume_after_finishing_is_exact(store, preset, eval_samples, changes):
    config = preset_config(preset).with_changes(epochs=4, max_batches=6, eval_samples=eval_samples, **changes)
    straight, _, _ = train(store, config)
    half = config.with_changes(epochs=2)
    resumed, _, first = train(store, half)
    assert isinstance(first, Finished)
    resumed.save_config(config)
    _, events, final = train(store, config, run=resumed)
    assert isinstance(final, Finished) and events[0].epochs_done == 2
    assert_same_weights(straight, resumed)
    assert losses(straight) == losses(resumed)
    assert all((m.get("quality") is not None) == bool(eval_samples) for m in resumed.metrics().epochs)


@pytest.mark.parametrize("eval_samples,g_ema,lr_decay", [(0, 0.0, "none"), (300, 0.0, "none"), (300, 0.9, "none"),
                                                         (0, 0.0, "linear")])
def test_stop_mid_epoch_then_resume_is_exact(store, eval_samples, g_ema, lr_decay):
    config = preset_config("mlp-dropout").with_changes(epochs=3, max_batches=8, eval_samples=eval_samples,
                                                       g_ema=g_ema, lr_decay=lr_decay)
    straight, _, _ = train(store, config)
    run = store.create(config)
    control = TrainingControl()

    def on_event(e):
        if isinstance(e, BatchProgress) and e.epoch == 2 and e.batch == 3:
            control.stop()

    final = Trainer(config, run, progress_interval=0.0).fit(on_event, control)
    assert isinstance(final, Stopped) and final.epochs_done == 1
    assert run.info()["status"] == "stopped" and run.summary().status == "stopped"
    assert load_checkpoint(run.latest_checkpoint)["partial"]["next_batch"] == 3
    _, _, final = train(store, config, run=run)
    assert isinstance(final, Finished)
    assert_same_weights(straight, run)
    assert losses(straight) == losses(run)
    assert bool(weights(run)[2]) == bool(g_ema)  # the average is checkpointed and resumed with the run


def test_linear_decay_lowers_both_learning_rates_to_zero_by_the_last_step(store):
    config = preset_config("mlp-dropout").with_changes(epochs=2, max_batches=4, lr_decay="linear")
    run, _, final = train(store, config)
    assert isinstance(final, Finished)
    state = load_checkpoint(run.latest_checkpoint)
    # the last of 8 steps ran at 1/8 of the configured rates
    assert state["opt_g"]["param_groups"][0]["lr"] == pytest.approx(config.lr_g / 8)
    assert state["opt_d"]["param_groups"][0]["lr"] == pytest.approx(config.lr_d / 8)
    constant, _, _ = train(store, config.with_changes(lr_decay="none"))
    assert load_checkpoint(constant.latest_checkpoint)["opt_g"]["param_groups"][0]["lr"] == config.lr_g
    assert losses(run)[0] != losses(constant)[0]


def test_pause_holds_between_batches(store):
    config = preset_config("mlp-small").with_changes(epochs=1, max_batches=30)
    run = store.create(config)
    control = TrainingControl()
    seen = []

    def on_event(e):
        if isinstance(e, BatchProgress):
            seen.append(e.batch)
            if e.batch == 2:
                control.pause()
                import threading
                threading.Timer(0.5, control.resume).start()

    t0 = time.perf_counter()
    final = Trainer(config, run, progress_interval=0.0).fit(on_event, control)
    assert isinstance(final, Finished) and time.perf_counter() - t0 >= 0.5
    assert seen == list(range(1, 31))


def test_nan_loss_stops_with_epoch_and_batch_and_keeps_last_good_checkpoint(store, monkeypatch):
    config = preset_config("mlp-small").with_changes(epochs=3, max_batches=10)
    from workbench.core.nets import losses as losses_module
    calls = {"n": 0}
    original = losses_module.Objective.__call__

    def poisoned(self, output, target):
        calls["n"] += 1
        loss = original(self, output, target)
        # three loss terms per batch; poison epoch 2, batch 4
        return loss * float("nan") if calls["n"] == 3 * (10 + 3) + 1 else loss

    monkeypatch.setattr(losses_module.Objective, "__call__", poisoned)
    run, events, final = train(store, config)
    assert isinstance(final, Failed), final
    assert (final.epoch, final.batch) == (2, 4)
    assert "epoch 2, batch 4" in final.message
    assert run.info()["status"] == "failed" and run.summary().status == "failed"
    assert final.reason is FailureReason.DIVERGED and run.read_info().diverged
    assert run.info()["reason"] == "diverged" and run.info()["diverged"] is True  # and what older releases read
    assert load_checkpoint(run.latest_checkpoint)["epoch"] == 1
    assert [m["epoch"] for m in run.metrics().epochs] == [1]


class Exploit:
    def __reduce__(self):
        return (os.system, ("touch exploited",))


def test_malicious_checkpoint_is_refused_and_not_executed(store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = preset_config("mlp-small").with_changes(epochs=1, max_batches=2)
    run = store.create(config)
    run.checkpoints_dir.mkdir()
    torch.save({"format": "gan-workbench-checkpoint", "payload": Exploit()}, run.latest_checkpoint)
    with pytest.raises(CheckpointError, match="Refused"):
        load_checkpoint(run.latest_checkpoint)
    _, _, final = train(store, config, run=run)
    assert isinstance(final, Failed) and "Refused" in final.message
    assert not (tmp_path / "exploited").exists()


def test_foreign_checkpoint_is_refused(tmp_path):
    path = tmp_path / "other.pt"
    torch.save({"state_dict": {"w": torch.zeros(2)}}, path)
    with pytest.raises(CheckpointError, match="not a GAN Workbench checkpoint"):
        load_checkpoint(path)


def test_missing_dataset_fails_the_run_with_a_message(store, tmp_path):
    config = preset_config("mlp-small").with_changes(data_dir=str(tmp_path / "empty"), epochs=1)
    run, _, final = train(store, config)
    assert isinstance(final, Failed) and "MNIST/raw" in final.message
    assert run.summary().status == "failed"
    assert final.reason is FailureReason.DATA_MISSING and run.read_info().reason is FailureReason.DATA_MISSING
    assert not run.read_info().diverged and "diverged" not in run.info()


CHILD = """
import sys
from workbench.core.presets import preset_config
from workbench.core.store.runs import RunStore
from workbench.core.training.trainer import Trainer
run = RunStore().get(sys.argv[1])
Trainer(run.config(), run).fit()
"""


def start_child(run):
    return subprocess.Popen([sys.executable, "-c", CHILD, run.id], env=os.environ.copy())


def wait_for(predicate, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_killed_process_leaves_a_resumable_run(store):
    config = preset_config("mlp-small").with_changes(epochs=4, max_batches=150)
    run = store.create(config)
    child = start_child(run)
    try:
        assert wait_for(lambda: len(run.metrics().epochs) >= 1 and run.is_locked())
        # the lock shows the run is being written; another trainer is refused, reading works
        final = Trainer(config, run).fit()
        assert isinstance(final, Failed) and "being trained by another process" in final.message
        assert final.reason is FailureReason.LOCKED
        assert run.summary().status == "running"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
    done = len(run.metrics().epochs)
    assert 1 <= done < 4
    summary = run.summary()
    assert summary.status in ("stopped", "damaged") and summary.epochs_done == done
    _, _, final = train(store, config, run=run)
    assert isinstance(final, Finished)
    assert [m["epoch"] for m in run.metrics().epochs] == [1, 2, 3, 4]
    assert run.summary().status == "finished"
