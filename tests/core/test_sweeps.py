"""Grid sweeps on the study engine: `--set` axes (paired, `;`-separated) and the built-in studies
become a study with the grid sampler and no pruner, exactly their product, checked all at once;
the CLI trains one tagged run per point and ranks them. And the sweeps stored before studies,
through the legacy runner: stopping and resuming without training anything twice, a write fault
while the sweep moves to its next run, a diverged run, a second process, a kill at creation."""

import errno
import json

import pytest

from helpers.legacy_sweeps import legacy_sweep
from helpers.study_scores import plant_scores, quality_for
from workbench.cli import main
from workbench.core.config import ConfigError
from workbench.core.events import EpochEnded, FailureReason, TrainingControl
from workbench.core.presets import preset_config
from workbench.core.store.checkpoints import load_checkpoint
from workbench.core.store.runs import Run, RunStore
from workbench.core.sweeps import STUDIES
from workbench.core.sweeps.estimate import measured_speed, probe_speed, sweep_seconds
from workbench.core.sweeps.grid import MAX_RUNS
from workbench.core.sweeps.legacy_runner import SweepRunner, SweepRunStarted
from workbench.core.sweeps.legacy_store import SweepStore
from workbench.core.sweeps.study_store import create_study, grid_configs, load_study, make_plan, open_storage
from workbench.core.sweeps.study_table import study_rows

TINY = dict(epochs=1, max_batches=30, eval_samples=256)


def tiny_base(**changes):
    return preset_config("mlp-small").with_changes(**(TINY | changes))


def grid(texts, base=None, name="g"):
    return make_plan(name, base or tiny_base(), texts, "grid", "none", None, lists=True)


@pytest.fixture
def sweeps(isolated_home, mnist_root, monkeypatch):
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(mnist_root))
    return SweepStore()


@pytest.fixture
def planted(isolated_home, mnist_root, monkeypatch):
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(mnist_root))
    plant_scores(monkeypatch)


@pytest.fixture
def quick_probe(monkeypatch):
    """The time estimate's probe of a shape without stored runs, answered at once (the probe
    itself is tested below)."""
    from workbench.core.sweeps import estimate

    monkeypatch.setattr(estimate, "probe_speed", lambda config, cancel: estimate.Speed(5000.0, 0.5, "probe"))


def epochs_of(run: Run) -> list[int]:
    return [m["epoch"] for m in run.metrics().epochs]


# ---- the grid, as a study ---------------------------------------------------------------
def test_set_axes_make_a_grid_study_of_their_product_with_paired_fields():
    plan = grid(["batch_size=64,128", "latent_size+lr_g=64/2e-4,128/1e-4"])
    assert (plan.sampler, plan.pruner, plan.trials, plan.lists) == ("grid", "none", 4, True)
    points = grid_configs(plan)
    assert [changes for changes, _ in points] == [
        {"batch_size": 64, "latent_size": 64, "lr_g": 0.0002}, {"batch_size": 64, "latent_size": 128, "lr_g": 0.0001},
        {"batch_size": 128, "latent_size": 64, "lr_g": 0.0002}, {"batch_size": 128, "latent_size": 128, "lr_g": 0.0001}]
    config = points[3][1]
    assert (config.batch_size, config.latent_size, config.lr_g) == (128, 128, 1e-4)
    widths = grid(["g_widths=64,32;128,64"])
    assert [c.g_widths for _, c in grid_configs(widths)] == [[64, 32], [128, 64]]


def test_every_invalid_value_is_reported_at_once_with_what_is_allowed():
    with pytest.raises(ConfigError) as caught:
        grid(["batch_size=64,abc,0", "lr_g=2", "nope=1", "latent_size+lr_g=64", "batch_size=32"])
    text = str(caught.value)
    fields = [e.field for e in caught.value.errors]
    assert fields.count("batch_size") == 3  # abc, 0, and set twice
    assert "lr_g" in fields and "nope" in fields and "latent_size+lr_g" in fields
    assert "whole number >= 1" in text and "known fields" in text and "set by one --set only" in text
    assert "--space" not in text  # worded for --set


def test_combinations_the_config_rejects_and_oversized_grids_are_reported():
    base = preset_config("dcgan").with_changes(**TINY)
    with pytest.raises(ConfigError) as caught:
        grid(["g_widths=64,32;64,32,16", "eval_samples=100,512"], base)
    assert {e.field for e in caught.value.errors} == {"g_widths", "eval_samples"}
    with pytest.raises(ConfigError) as caught:
        grid(["seed=" + ",".join(str(s) for s in range(11)), "lr_g=1e-4,2e-4,3e-4,4e-4,5e-4,6e-4,7e-4,8e-4,9e-4,1e-3"])
    (error,) = caught.value.errors
    assert (error.field, error.value) == ("--set", "110 runs") and f"at most {MAX_RUNS} runs" in str(error)


def test_a_set_value_with_a_colon_stays_a_list_value_when_the_study_is_loaded(isolated_home):
    """A grid's texts are lists, even one that looks like a --space range (a path with a colon)."""
    plan = grid(["data_dir=/tmp/a:b,/tmp/c", "lr_g=1e-4,2e-4"])
    create_study(plan, open_storage())
    _study, loaded = load_study("g", open_storage())
    assert loaded.lists and [c.data_dir for _, c in grid_configs(loaded)][::2] == ["/tmp/a:b", "/tmp/c"]


def test_the_builtin_study_is_a_six_trial_grid_on_dcgan_small():
    from workbench.core.config import TrainConfig

    study = STUDIES["dcgan-small-batch-latent-lr"]
    plan = grid(study.set_texts(), TrainConfig.from_dict(study.base_values()))
    configs = [c for _, c in grid_configs(plan)]
    assert plan.trials == 6 and len(configs) == 6
    assert sorted({c.batch_size for c in configs}) == [64, 128, 256]
    assert {(c.latent_size, c.lr_g, c.lr_d) for c in configs} == {(64, 0.0002, 0.0002), (128, 0.0001, 0.0001)}
    assert all(c.architecture == "dcgan-small" and c.eval_samples > 0 and c.epochs == 5 for c in configs)


# ---- the CLI -------------------------------------------------------------------------------
def test_cli_reports_every_bad_value_with_exit_status_2(isolated_home, capsys):
    status = main(["sweep", "--preset", "mlp-small", "--set", "batch_size=64,x", "--set", "lr_d=5",
                   "--epochs", "0"])
    err = capsys.readouterr().err
    assert status == 2
    assert "batch_size (--batch-size): 'x'" in err and "lr_d (--lr-d): '5'" in err and "epochs (--epochs):" in err
    assert not (isolated_home / "sweeps").exists() and RunStore().runs() == []
    assert main(["sweep", "--study", "nope"]) == 2
    assert main(["sweep", "--set", "seed=1,2", "--sampler", "tpe"]) == 2
    assert main(["sweep", "--set", "seed=1,2", "--space", "lr_g=1e-4,2e-4"]) == 2
    err = capsys.readouterr().err
    assert "built-in studies" in err and "--sampler tpe" in err and "not both" in err
    assert not (isolated_home / "sweeps").exists()


def test_cli_grid_trains_one_tagged_run_per_point_ranked_then_lists_shows_and_resumes(planted, quick_probe, capsys):
    assert main(["sweep", "--preset", "mlp-small", "--set", "lr_g=2e-4,5e-4", "--set", "latent_size+seed=32/1,64/2",
                 "--epochs", "2", "--max-batches", "3", "--eval-samples", "256", "--name", "two"]) == 0
    out = capsys.readouterr().out
    assert "sampler grid, pruner none" in out and "Estimated time" in out
    assert "#3   lr_g=0.0005 latent_size=64 seed=2" in out  # trials in the order of the fields' names
    assert "Sweep finished: 4 trials done." in out
    study, plan = load_study("two", open_storage())
    assert (plan.sampler, plan.pruner, plan.trials) == ("grid", "none", 4)
    rows = study_rows(study)
    assert [r.rank for r in rows] == [1, 2, 3, 4] and {r.state for r in rows} == {"complete"}
    seen = set()
    for row in rows:
        run = Run(RunStore().root / row.run_id)
        info, config = run.read_info(), run.config()
        assert (info.study, info.trial) == ("two", row.number) and epochs_of(run) == [1, 2]
        assert row.value == pytest.approx(quality_for(config.lr_g, 2)) and config.epochs == 2
        seen.add((config.lr_g, config.latent_size, config.seed))
    assert seen == {(lr, z, s) for lr in (2e-4, 5e-4) for z, s in ((32, 1), (64, 2))}
    assert rows[0].label.startswith("lr_g=0.0005") and rows[0].at_best["class_balance"] == 1.0
    assert len(RunStore().runs()) == 4
    assert main(["sweeps"]) == 0
    listing = capsys.readouterr().out
    assert "two" in listing and "grid study" in listing and "4/4" in listing and "finished" in listing
    assert main(["sweep-show", "two", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [r["rank"] for r in shown["rows"]] == [1, 2, 3, 4] and shown["sampler"] == "grid"
    assert main(["resume", "two"]) == 0 and len(RunStore().runs()) == 4  # nothing left to train


def test_cli_builtin_study_plans_its_six_runs_and_no_start_queues_them(isolated_home, quick_probe, capsys):
    assert main(["sweep", "--study", "dcgan-small-batch-latent-lr", "--max-batches", "2", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "6 trials of 5 epochs, sampler grid, pruner none" in out and out.count("  #") == 6
    assert "Estimated time" in out and not (isolated_home / "sweeps").exists()
    assert main(["sweep", "--study", "dcgan-small-batch-latent-lr", "--no-start"]) == 0
    out = capsys.readouterr().out
    assert out.count("  #") == 6 and "Estimated time" not in out  # trained elsewhere: no estimate of it here
    name = out.split("Study ")[1].split(":")[0]
    assert name.startswith("dcgan-small-batch-latent-lr-")
    study, plan = load_study(name, open_storage())
    assert [r.state for r in study_rows(study)] == ["queued"] * 6 and plan.base.architecture == "dcgan-small"
    assert main(["sweep", "--study", "dcgan-small-batch-latent-lr", "--no-start"]) == 0  # a second, named apart
    assert main(["sweeps"]) == 0
    assert capsys.readouterr().out.count("dcgan-small-batch-latent-lr-") == 2


def test_under_torchrun_a_sweep_is_refused_with_a_reason(isolated_home, monkeypatch, capsys):
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert main(["sweep", "--preset", "mlp-small", "--set", "lr_g=1e-4,2e-4"]) == 2
    assert "only train and resume" in capsys.readouterr().err
    assert not (isolated_home / "sweeps").exists()


# ---- sweeps stored before studies: the legacy runner ----------------------------------------
def test_an_old_sweep_stopped_and_resumed_trains_the_rest_once(sweeps):
    sweep = legacy_sweep(tiny_base(epochs=2, max_batches=40), ["lr_g=1e-4,2e-4,3e-4"])
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
    assert main(["resume", sweep.id]) == 0
    assert first.metrics_file.read_bytes() == first_metrics  # not trained again
    assert epochs_of(second) == [1, 2] and epochs_of(third) == [1, 2]
    rows = sweep.rows(sweeps.run_store)
    assert [r.rank for r in rows] == [1, 2, 3] and sweep.status(sweeps.run_store) == "finished"
    speed = measured_speed(first.config(), sweeps.run_store)  # the estimate measures from stored runs
    assert speed is not None and speed.images_per_sec > 0 and speed.source == "3 stored runs"


def test_a_write_fault_while_moving_to_the_next_run_stops_the_sweep_and_loses_nothing(sweeps, monkeypatch):
    sweep = legacy_sweep(tiny_base(), ["lr_g=1e-4,2e-4,3e-4"])
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

    sweep = legacy_sweep(tiny_base(eval_samples=0), ["lr_g=1e-4,2e-4"])
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
    sweep = legacy_sweep(tiny_base(), ["lr_g=1e-4,2e-4"])
    with sweep.lock():
        assert sweep.status(sweeps.run_store) == "running"
        ended = SweepRunner(sweep, sweeps.run_store).run()
    assert ended.status == "failed" and "another process" in ended.message


def test_a_sweep_killed_at_creation_adopts_its_tagged_runs(sweeps):
    sweep = legacy_sweep(tiny_base(), ["lr_g=1e-4,2e-4"], name="adopting")
    ids = sweep.data()["runs"]
    sweep.write(runs=ids[:1])  # as if killed after the second run was made, before sweep.json said so
    runs = sweep.ensure_runs(sweeps.run_store)
    assert [r.id for r in runs] == ids and sweep.data()["runs"] == ids
    assert len(sweeps.run_store.runs()) == 2 and SweepStore().get("adopting").id == sweep.id


# ---- the time estimate ----------------------------------------------------------------------
def test_time_estimate_probes_when_nothing_is_stored(sweeps, monkeypatch):
    from workbench.core.sweeps import estimate

    configs = [c for _, c in grid_configs(grid(["batch_size=64,128"]))]
    assert measured_speed(configs[0], sweeps.run_store) is None
    speed = probe_speed(configs[0], seconds=0.3)
    assert speed.images_per_sec > 0 and speed.source == "probe"
    probed = []
    monkeypatch.setattr(estimate, "probe_speed", lambda config, cancel: probed.append(config.batch_size) or
                        estimate.Speed(1000.0, 0.5, "probe"))
    seconds, how = sweep_seconds(configs, sweeps.run_store)
    assert probed == [64, 128] and "probed" in how
    # one epoch each: 30 batches (max_batches) at 1000 images/s, 0.5 s of evaluation and the epoch's
    # writes; the first run loads the images and the scoring model, the second only builds its networks;
    # the study around them, and each trial's bookkeeping
    epoch_overhead = 0.5 + estimate.WRITE_SECONDS
    assert seconds == pytest.approx(estimate.STUDY_SECONDS + 2 * estimate.TRIAL_SECONDS
                                    + estimate.COLD_START_SECONDS + (30 * 64 / 1000 + epoch_overhead)
                                    + estimate.WARM_START_SECONDS + (30 * 128 / 1000 + epoch_overhead))
    assert "typical start-up times" in how
    seconds, how = sweep_seconds(configs[:1], sweeps.run_store, probe=False)
    assert seconds is None and "no stored run" in how


def test_a_grid_of_conditional_runs_trains_every_trial_conditioned_on_the_class(planted, quick_probe, capsys):
    assert main(["sweep", "--preset", "cpu-conditional", "--set", "lr_g=2e-4,5e-4", "--g-widths", "32,16,8",
                 "--d-widths", "8,16,16", "--epochs", "1", "--max-batches", "2", "--eval-samples", "256",
                 "--grid-size", "16", "--name", "classes"]) == 0
    study, _ = load_study("classes", open_storage())
    rows = study_rows(study)
    assert {r.state for r in rows} == {"complete"} and len(rows) == 2
    for row in rows:
        run = Run(RunStore().root / row.run_id)
        assert run.config().condition == "class" and run.config().d_stddev
        assert run.read_info().classes == [str(c) for c in range(10)]
        assert load_checkpoint(run.latest_checkpoint)["classes"] == run.read_info().classes
