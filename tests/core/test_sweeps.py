"""Sweeps: grid parsing and validation, training a 2×2 grid on real MNIST and ranking it, stopping
and resuming without training anything twice (in process, killed, and with a write fault while
the sweep moves to its next run), the built-in study, the time estimate and the CLI."""

import errno
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from workbench.cli import main
from workbench.core.config import ConfigError
from workbench.core.events import EpochEnded, FailureReason, TrainingControl
from workbench.core.presets import preset_config
from workbench.core.store.runs import Run, RunStore
from workbench.core.sweeps import (
    STUDIES,
    SweepRunner,
    SweepRunStarted,
    SweepStore,
    expand,
    parse_axes,
    run_count,
)
from workbench.core.sweeps.estimate import measured_speed, probe_speed, sweep_seconds

TINY = dict(epochs=1, max_batches=30, eval_samples=256)


def tiny_base(**changes):
    return preset_config("mlp-small").with_changes(**(TINY | changes))


@pytest.fixture
def sweeps(isolated_home, mnist_root, monkeypatch):
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(mnist_root))
    return SweepStore()


def epochs_of(run: Run) -> list[int]:
    return [m["epoch"] for m in run.metrics().epochs]


# ---- the grid ------------------------------------------------------------------------------
def test_axes_expand_to_their_product_in_order_with_paired_fields():
    axes = parse_axes(["batch_size=64,128", "latent_size+lr_g=64/2e-4,128/1e-4"])
    assert run_count(axes) == 4
    points = expand(tiny_base(), axes)
    assert [p.changes for p in points] == [
        {"batch_size": 64, "latent_size": 64, "lr_g": 0.0002}, {"batch_size": 64, "latent_size": 128, "lr_g": 0.0001},
        {"batch_size": 128, "latent_size": 64, "lr_g": 0.0002}, {"batch_size": 128, "latent_size": 128, "lr_g": 0.0001}]
    assert points[3].config.batch_size == 128 and points[3].config.latent_size == 128
    assert points[1].label == "batch_size=64 latent_size=128 lr_g=0.0001"
    widths = parse_axes(["g_widths=64,32;128,64"])
    assert widths[0].points == (([64, 32],), ([128, 64],))


def test_every_invalid_value_is_reported_at_once_with_what_is_allowed():
    with pytest.raises(ConfigError) as caught:
        parse_axes(["batch_size=64,abc,0", "lr_g=2", "nope=1", "latent_size+lr_g=64", "batch_size=32"])
    text = str(caught.value)
    fields = [e.field for e in caught.value.errors]
    assert fields.count("batch_size") == 3  # abc, 0, and set twice
    assert "lr_g" in fields and "nope" in fields and "latent_size+lr_g" in fields
    assert "whole number >= 1" in text and "known fields" in text and "set by one --set only" in text


def test_combinations_the_config_rejects_are_reported():
    base = preset_config("dcgan").with_changes(**TINY)
    with pytest.raises(ConfigError) as caught:
        expand(base, parse_axes(["g_widths=64,32;64,32,16", "eval_samples=100,512"]))
    fields = {e.field for e in caught.value.errors}
    assert fields == {"g_widths", "eval_samples"}


def test_the_builtin_study_is_six_runs_on_dcgan_small():
    study = STUDIES["dcgan-small-batch-latent-lr"]
    base = preset_config(study.preset).with_changes(**study.overrides)
    points = expand(base, list(study.axes))
    assert len(points) == 6
    assert sorted({p.config.batch_size for p in points}) == [64, 128, 256]
    assert {(p.config.latent_size, p.config.lr_g, p.config.lr_d) for p in points} == {
        (64, 0.0002, 0.0002), (128, 0.0001, 0.0001)}
    assert all(p.config.architecture == "dcgan-small" and p.config.eval_samples > 0 for p in points)


# ---- training ------------------------------------------------------------------------------
def test_a_2x2_sweep_trains_four_tagged_runs_and_ranks_them(sweeps):
    sweep = sweeps.create(tiny_base(), parse_axes(["batch_size=64,128", "lr_g=1e-4,1e-3"]), name="grid")
    assert sweep.status(sweeps.run_store) == "created"
    assert [r.summary().status for r in sweep.runs(sweeps.run_store)] == ["created"] * 4
    events = []
    ended = SweepRunner(sweep, sweeps.run_store).run(events.append)
    assert ended.status == "finished" and ended.runs_trained == 4
    started = [e for e in events if isinstance(e, SweepRunStarted)]
    assert [e.index for e in started] == [0, 1, 2, 3]
    runs = sweep.runs(sweeps.run_store)
    for index, run in enumerate(runs):
        info = run.info()
        assert info["sweep"] == sweep.id and info["sweep_index"] == index and epochs_of(run) == [1]
    assert runs[3].config().batch_size == 128 and runs[3].config().lr_g == 0.001
    rows = sweep.rows(sweeps.run_store)
    assert [r.rank for r in rows] == [1, 2, 3, 4]
    scores = [r.best_quality for r in rows]
    assert scores == sorted(scores) and len(set(scores)) == 4
    assert {r.run_id for r in rows} == {r.id for r in runs}
    assert all(r.status == "finished" and r.at_best["class_balance"] is not None for r in rows)
    assert sweep.status(sweeps.run_store) == "finished" and sweep.data()["status"] == "finished"
    assert SweepStore().get("grid").id == sweep.id and SweepStore().get(sweep.id[6:15]).id == sweep.id
    # the estimate now measures from these runs
    speed = measured_speed(runs[0].config(), sweeps.run_store)
    # same networks and batch, lr differs
    assert speed is not None and speed.images_per_sec > 0 and speed.source == "2 stored runs"


def test_stop_ends_the_sweep_with_the_run_resumable_then_resume_trains_the_rest_once(sweeps):
    base = tiny_base(epochs=2, max_batches=40)
    sweep = sweeps.create(base, parse_axes(["lr_g=1e-4,2e-4,3e-4"]))
    control = TrainingControl()
    batches = []

    def on_event(event):
        if isinstance(event, SweepRunStarted):
            batches.append(event.index)
        if isinstance(event, EpochEnded) and batches == [0, 1] and event.epoch == 1:
            control.stop()  # during run 2: it stops after its first epoch

    ended = SweepRunner(sweep, sweeps.run_store).run(on_event, control)
    assert ended.status == "stopped" and "resume" in ended.message
    first, second, third = sweep.runs(sweeps.run_store)
    assert epochs_of(first) == [1, 2] and epochs_of(second) == [1] and epochs_of(third) == []
    assert second.summary().status == "stopped" and sweep.status(sweeps.run_store) == "stopped"
    first_metrics = first.metrics_file.read_bytes()
    events = []
    ended = SweepRunner(sweep, sweeps.run_store).run(events.append)
    assert ended.status == "finished"
    assert [e.index for e in events if isinstance(e, SweepRunStarted)] == [1, 2]
    assert first.metrics_file.read_bytes() == first_metrics  # not trained again
    assert epochs_of(second) == [1, 2] and epochs_of(third) == [1, 2]


def test_a_write_fault_while_moving_to_the_next_run_stops_the_sweep_and_loses_nothing(sweeps, monkeypatch):
    sweep = sweeps.create(tiny_base(), parse_axes(["lr_g=1e-4,2e-4,3e-4"]))
    first, second, third = sweep.runs(sweeps.run_store)
    real_save = Run.save_config

    def full_disk(self, config):
        if self.id == second.id:
            raise OSError(errno.ENOSPC, "No space left on device", str(self.config_file))
        return real_save(self, config)

    monkeypatch.setattr(Run, "save_config", full_disk)
    ended = SweepRunner(sweep, sweeps.run_store).run()
    assert ended.status == "failed" and second.id in ended.message and "the disk is full" in ended.message
    assert epochs_of(first) == [1] and epochs_of(second) == [] and epochs_of(third) == []
    assert sweep.status(sweeps.run_store) == "stopped"
    monkeypatch.setattr(Run, "save_config", real_save)
    events = []
    ended = SweepRunner(sweep, sweeps.run_store).run(events.append)
    assert ended.status == "finished"
    assert [e.index for e in events if isinstance(e, SweepRunStarted)] == [1, 2]
    assert [epochs_of(r) for r in (first, second, third)] == [[1], [1], [1]]


def test_a_diverged_run_is_recorded_and_the_sweep_goes_on(sweeps, monkeypatch):
    from workbench.core.nets.losses import Objective

    sweep = sweeps.create(tiny_base(eval_samples=0), parse_axes(["lr_g=1e-4,2e-4"]))
    real_call = Objective.__call__
    poisoned_run = []

    def poisoned(self, output, target):
        loss = real_call(self, output, target)
        return loss * float("nan") if len(poisoned_run) == 1 else loss

    monkeypatch.setattr(Objective, "__call__", poisoned)
    ended = SweepRunner(sweep, sweeps.run_store).run(
        lambda e: poisoned_run.append(e) if isinstance(e, SweepRunStarted) else None)
    assert ended.status == "finished" and "Diverged" in ended.message
    first, second = sweep.runs(sweeps.run_store)
    assert first.summary().status == "failed" and first.info()["diverged"] is True
    assert first.read_info().reason is FailureReason.DIVERGED
    assert second.summary().status == "finished"
    monkeypatch.setattr(Objective, "__call__", real_call)
    events = []
    assert SweepRunner(sweep, sweeps.run_store).run(events.append).status == "finished"
    assert not [e for e in events if isinstance(e, SweepRunStarted)]  # nothing is trained twice


def test_a_second_process_cannot_run_the_same_sweep(sweeps):
    sweep = sweeps.create(tiny_base(), parse_axes(["lr_g=1e-4,2e-4"]))
    with sweep.lock():
        assert sweep.status(sweeps.run_store) == "running"
        ended = SweepRunner(sweep, sweeps.run_store).run()
    assert ended.status == "failed" and "another process" in ended.message


def test_a_sweep_killed_at_creation_adopts_its_tagged_runs(sweeps, monkeypatch):
    sweep = sweeps.create(tiny_base(), parse_axes(["lr_g=1e-4,2e-4"]))
    ids = sweep.data()["runs"]
    sweep.write(runs=ids[:1])  # as if killed after the second run was made, before sweep.json said so
    runs = sweep.ensure_runs(sweeps.run_store)
    assert [r.id for r in runs] == ids and sweep.data()["runs"] == ids
    assert len(sweeps.run_store.runs()) == 2


def test_time_estimate_probes_when_nothing_is_stored(sweeps, monkeypatch):
    from workbench.core.sweeps import estimate

    configs = [p.config for p in expand(tiny_base(), parse_axes(["batch_size=64,128"]))]
    assert measured_speed(configs[0], sweeps.run_store) is None
    speed = probe_speed(configs[0], seconds=0.3)
    assert speed.images_per_sec > 0 and speed.source == "probe"
    probed = []
    monkeypatch.setattr(estimate, "probe_speed", lambda config, cancel: probed.append(config.batch_size) or
                        estimate.Speed(1000.0, 0.5, "probe"))
    seconds, how = sweep_seconds(configs, sweeps.run_store)
    assert probed == [64, 128] and "probed" in how
    # one epoch each: 30 batches (max_batches) at 1000 images/s, 0.5 s of evaluation and the epoch's
    # writes; the first run loads the images and the scoring model, the second only builds its networks
    epoch_overhead = 0.5 + estimate.WRITE_SECONDS
    assert seconds == pytest.approx(estimate.COLD_START_SECONDS + (30 * 64 / 1000 + epoch_overhead)
                                    + estimate.WARM_START_SECONDS + (30 * 128 / 1000 + epoch_overhead))
    assert "typical start-up times" in how
    seconds, how = sweep_seconds(configs[:1], sweeps.run_store, probe=False)
    assert seconds is None and "no stored run" in how


# ---- the CLI -------------------------------------------------------------------------------
def test_cli_reports_every_bad_value_with_exit_status_2(sweeps, capsys):
    status = main(["sweep", "--preset", "mlp-small", "--set", "batch_size=64,x", "--set", "lr_d=5",
                   "--epochs", "0"])
    err = capsys.readouterr().err
    assert status == 2
    assert "batch_size (--batch-size): 'x'" in err and "lr_d (--lr-d): '5'" in err and "epochs (--epochs):" in err
    assert SweepStore().sweeps() == [] and RunStore().runs() == []


def test_cli_sweep_show_and_list(sweeps, capsys):
    assert main(["sweep", "--preset", "mlp-small", "--set", "lr_g=1e-4,1e-3", "--epochs", "1",
                 "--max-batches", "20", "--eval-samples", "256", "--name", "two"]) == 0
    out = capsys.readouterr().out
    assert "Estimated time" in out and "Sweep finished: 2 runs done." in out and "Finished: 1 epoch." in out
    assert main(["sweeps"]) == 0
    listing = capsys.readouterr().out
    assert "two" in listing and "2/2" in listing and "finished" in listing
    assert main(["sweep-show", "two", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [r["rank"] for r in shown["rows"]] == [1, 2] and shown["status"] == "finished"
    assert main(["sweep", "--study", "nope"]) == 2


CHILD_ARGS = ["sweep", "--preset", "mlp-small", "--set", "lr_g=1e-4,2e-4,3e-4", "--epochs", "2",
              "--max-batches", "60", "--name", "killed"]


def test_cli_sweep_killed_after_its_first_run_resumes_with_the_rest_only(sweeps):
    child = subprocess.Popen([sys.executable, "-m", "workbench", *CHILD_ARGS], env=os.environ.copy(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        first = None
        while time.time() < deadline:
            found = SweepStore().sweeps()
            if found and len(found[0].data().get("runs", [])) == 3:
                first = found[0].runs(sweeps.run_store)[0]
                if first.summary().status == "finished":
                    break
            time.sleep(0.05)
        assert first is not None and first.summary().status == "finished"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
    sweep = SweepStore().get("killed")
    assert sweep.status(sweeps.run_store) == "stopped"
    first_metrics = first.metrics_file.read_bytes()
    done_before = [epochs_of(r) for r in sweep.runs(sweeps.run_store)]
    assert done_before[0] == [1, 2]
    assert main(["resume", sweep.id]) == 0
    runs = sweep.runs(sweeps.run_store)
    assert first.metrics_file.read_bytes() == first_metrics
    assert [epochs_of(r) for r in runs] == [[1, 2]] * 3
    assert main(["check"]) == 0
    assert main(["resume", sweep.id]) == 0  # nothing left: prints the table


def test_under_torchrun_a_sweep_is_refused_with_a_reason(isolated_home, monkeypatch, capsys):
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert main(["sweep", "--preset", "mlp-small", "--set", "lr_g=1e-4,2e-4"]) == 2
    assert "only train and resume" in capsys.readouterr().err
    assert SweepStore().sweeps() == []
