"""Sweeps as Optuna studies on the embedded SQLite storage: the search space and its checks, a
grid study and a TPE search on mlp-small (a few batches per epoch on real MNIST, scores planted by
`helpers.study_scores`), pruning a planted collapse, a stopped and a killed study resumed without
training anything twice, and the CLI."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers.study_scores import COLLAPSING_LR, plant_scores, quality_for
from workbench.cli import main
from workbench.core.config import ConfigError
from workbench.core.events import EpochEnded, TrainingControl
from workbench.core.presets import preset_config
from workbench.core.store.runs import Run, RunStore
from workbench.core.store.status import RunStatus
from workbench.core.sweeps.space import parse_space
from workbench.core.sweeps.study_store import PLANNED, create_study, load_study, make_plan, open_storage
from workbench.core.sweeps.study_table import study_progress, study_rows
from workbench.core.sweeps.study_worker import StudyWorker, TrialStarted

TESTS = Path(__file__).resolve().parents[1]


def tiny_base(**changes):
    return preset_config("mlp-small").with_changes(**(dict(epochs=2, max_batches=3, eval_samples=256) | changes))


@pytest.fixture
def planted(isolated_home, mnist_root, monkeypatch):
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(mnist_root))
    plant_scores(monkeypatch)


def train(name, space, sampler="tpe", pruner="none", trials=None, base=None, control=None, on_event=None):
    plan = make_plan(name, base or tiny_base(), space, sampler, pruner, trials, seed=0)
    storage = open_storage(None, heartbeat=1)
    create_study(plan, storage)
    study, plan = load_study(name, storage)
    ended = StudyWorker(study, plan).run(on_event, control)
    return study, plan, ended


def epochs_of(run_id: str) -> list[int]:
    return [m["epoch"] for m in Run(RunStore().root / run_id).metrics().epochs]


# ---- the space -----------------------------------------------------------------------------
def test_space_texts_become_ranges_lists_and_paired_fields_checked_by_the_config():
    base = tiny_base()
    lr, batch, beta, pair = parse_space(["lr_g=log:1e-4:3e-3", "batch_size=32,64,128", "beta1_g=0:0.5",
                                         "latent_size+lr_d=64/2e-4,128/1e-4"], base)
    assert (lr.low, lr.high, lr.log) == (1e-4, 3e-3, True)
    assert batch.choices() == [32, 64, 128] and batch.changes(64) == {"batch_size": 64}
    assert (beta.low, beta.high, beta.log) == (0.0, 0.5, False)
    assert pair.choices() == ["64/0.0002", "128/0.0001"]
    assert pair.changes("128/0.0001") == {"latent_size": 128, "lr_d": 1e-4}
    with pytest.raises(ConfigError) as e:
        parse_space(["lr_g=log:0:1", "lr_d=3e-4:1e-4", "batch_size=0,64", "dataset=0:1", "nope=1,2", "lr_g=1e-4,2e-4",
                     "beta1_g"], base)
    problems = "\n".join(str(x) for x in e.value.errors)
    for expected in ("lr_g", "LOW below HIGH", "batch_size", "dataset", "nope", "searched by one --space only",
                     "--space"):
        assert expected in problems
    assert len(e.value.errors) >= 7


def test_a_grid_takes_lists_only_and_its_size_as_trials():
    with pytest.raises(ConfigError) as e:
        make_plan("g", tiny_base(), ["lr_g=log:1e-4:3e-3", "batch_size=32,64"], "grid", "none", None)
    assert "lists of values for a grid" in str(e.value)
    with pytest.raises(ConfigError) as e:  # with the other problems, at once
        make_plan("g", tiny_base(), ["lr_g=log:1e-4:3e-3", "batch_size=32,0"], "grid", "bayes", None)
    assert "lists of values for a grid" in str(e.value) and "batch_size" in str(e.value) and "bayes" in str(e.value)
    with pytest.raises(ConfigError) as e:
        make_plan("g", tiny_base(), ["batch_size=32,64"], "grid", "none", 5)
    assert "--trials" in str(e.value) and "2 points" in str(e.value)
    assert make_plan("g", tiny_base(), ["batch_size=32,64", "lr_g=1e-4,2e-4,3e-4"], "grid", "none", None).trials == 6


# ---- training studies --------------------------------------------------------------------
def test_a_grid_study_trains_each_point_once_as_tagged_runs_ranked_by_best_score(planted):
    started = []
    study, plan, ended = train("grid", ["lr_g=2e-4,5e-4,1e-3"], sampler="grid",
                               on_event=lambda e: started.append(e) if isinstance(e, TrialStarted) else None)
    assert ended.status == "finished" and ended.runs_trained == 3
    rows = study_rows(study)
    assert [r.state for r in rows] == ["complete"] * 3
    assert sorted(r.params["lr_g"] for r in rows) == [2e-4, 5e-4, 1e-3]
    assert rows[0].params["lr_g"] == 5e-4 and rows[0].rank == 1  # the planted best
    for row in rows:  # the best-epoch score is the trial's value; the run is an ordinary, tagged run
        assert row.value == pytest.approx(quality_for(row.params["lr_g"], 2))
        info = Run(RunStore().root / row.run_id).read_info()
        assert (info.study, info.trial, info.status) == ("grid", row.number, RunStatus.FINISHED)
        assert epochs_of(row.run_id) == [1, 2]
    assert len(RunStore().runs()) == 3 and len(started) == 3


def test_a_tpe_search_with_the_median_pruner_reports_every_epoch_and_finishes(planted):
    study, plan, ended = train("tpe", ["lr_g=log:1e-4:2e-3", "beta1_g=0:0.5"], trials=4, pruner="median",
                               base=tiny_base(epochs=3))
    assert ended.status == "finished" and study_progress(study, plan) == (4, 4)
    rows = study_rows(study)
    assert {r.state for r in rows} <= {"complete", "pruned"} and rows[0].state == "complete"
    for row in rows:
        assert 1e-4 <= row.params["lr_g"] <= 2e-3 and 0 <= row.params["beta1_g"] <= 0.5
        assert row.intermediate and list(row.intermediate) == sorted(row.intermediate)
        config = Run(RunStore().root / row.run_id).config()
        assert config.lr_g == row.params["lr_g"] and config.beta1_g == row.params["beta1_g"]
    assert len(RunStore().runs()) == 4


def test_a_collapsing_run_is_pruned_after_two_collapsed_epochs_checkpoint_kept(planted):
    study, plan, ended = train("collapse", [f"lr_g=5e-4,{COLLAPSING_LR}"], sampler="grid", base=tiny_base(epochs=4))
    assert ended.status == "finished"
    rows = {r.params["lr_g"]: r for r in study_rows(study)}
    bad, good = rows[COLLAPSING_LR], rows[5e-4]
    assert good.state == "complete" and good.epochs_done == 4
    assert bad.state == "pruned" and "collapsed 2 epochs in a row" in bad.reason
    run = Run(RunStore().root / bad.run_id)
    assert run.summary().status is RunStatus.PRUNED and run.summary().epochs_done == 2
    assert "Pruned" in run.read_info().message and run.latest_checkpoint.is_file()
    assert main(["resume", bad.run_id]) == 0  # a pruned run resumes by hand, from its checkpoint
    assert run.summary().status is RunStatus.FINISHED and epochs_of(bad.run_id) == [1, 2, 3, 4]


def test_a_run_whose_best_epoch_collapsed_fails_its_trial_with_the_reason(planted):
    study, plan, ended = train("collapse-1", [f"lr_g={COLLAPSING_LR}"], sampler="grid", base=tiny_base(epochs=1))
    row = study_rows(study)[0]
    assert ended.status == "finished" and row.state == "failed" and "collapsed at its best epoch 1" in row.reason
    assert Run(RunStore().root / row.run_id).summary().status is RunStatus.FINISHED


def test_stop_queues_the_trial_again_and_resume_continues_its_run(planted):
    control = TrainingControl()

    def stop_after_first_epoch(event):
        if isinstance(event, EpochEnded) and event.epoch == 1:
            control.stop()

    study, plan, ended = train("stop", ["lr_g=2e-4,5e-4"], sampler="grid", base=tiny_base(epochs=3),
                               control=control, on_event=stop_after_first_epoch)
    assert ended.status == "stopped" and study_progress(study, plan) == (0, 2)
    first = study_rows(study)
    run_id = next(r.run_id for r in first if r.state == "retried")
    assert epochs_of(run_id) == [1]
    assert main(["resume", "stop"]) == 0
    study, plan = load_study("stop", open_storage())
    rows = study_rows(study)
    assert sorted(r.state for r in rows) == ["complete", "complete", "retried"]
    retry = next(r for r in rows if r.retry_of is not None)
    assert retry.run_id == run_id and epochs_of(run_id) == [1, 2, 3]  # resumed, nothing trained twice
    assert len(RunStore().runs()) == 2


def test_a_killed_study_resumes_after_the_heartbeat_and_trains_nothing_twice(planted, tmp_path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS.parent), str(TESTS)]),
               STUDY_SCORES_PAUSE="2")  # each epoch waits 2 s, so the kill lands between epochs 1 and 3
    process = subprocess.Popen([sys.executable, "-m", "helpers.study_scores", "sweep", "--preset", "mlp-small",
                                "--set", "lr_g=2e-4,5e-4", "--epochs", "3", "--max-batches", "8",
                                "--eval-samples", "256", "--name", "killed",
                                "--heartbeat", "1"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(len(epochs_of(r.id)) >= 1 for r in RunStore().runs()):
        time.sleep(0.1)
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed = RunStore().runs()
    assert len(killed) == 1 and 1 <= len(epochs_of(killed[0].id)) < 3
    assert main(["resume", "killed"]) == 0
    study, plan = load_study("killed", open_storage())
    rows = study_rows(study)
    assert sorted(r.state for r in rows) == ["complete", "complete", "retried"]
    assert next(r for r in rows if r.retry_of is not None).run_id == killed[0].id
    runs = RunStore().runs()
    assert len(runs) == 2 and all(epochs_of(r.id) == [1, 2, 3] for r in runs)


# ---- the CLI --------------------------------------------------------------------------------
def test_cli_reports_every_bad_value_at_once_with_exit_2_and_writes_nothing(isolated_home, capsys):
    status = main(["sweep", "--preset", "mlp-small", "--space", "lr_g=log:0:1", "--space", "nope=1,2",
                   "--sampler", "bayes", "--pruner", "xx", "--trials", "0", "--lr-d", "7"])
    err = capsys.readouterr().err
    assert status == 2
    for expected in ("lr_g", "nope", "--sampler", "--pruner", "--trials", "lr_d"):
        assert expected in err
    assert not (isolated_home / "sweeps").exists() and not (isolated_home / "runs").exists()


def test_cli_search_lists_and_shows_the_study_and_no_start_trains_nothing(planted, capsys):
    assert main(["sweep", "--preset", "mlp-small", "--space", "lr_g=log:1e-4:2e-3", "--trials", "2",
                 "--pruner", "median", "--epochs", "2", "--max-batches", "3", "--eval-samples", "256",
                 "--name", "cli-study"]) == 0
    assert main(["sweep", "--preset", "mlp-small", "--space", "lr_g=1e-4,2e-4", "--sampler", "grid",
                 "--epochs", "1", "--name", "queued", "--no-start"]) == 0
    capsys.readouterr()
    assert main(["sweeps"]) == 0
    listing = capsys.readouterr().out
    assert "cli-study" in listing and "finished" in listing and "queued" in listing and "0/2" in listing
    assert main(["sweep-show", "cli-study", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["status"] == "finished" and len(shown["rows"]) == 2
    assert {r["state"] for r in shown["rows"]} <= {"complete", "pruned"}
    assert len(RunStore().runs()) == 2  # --no-start trained nothing
    assert main(["sweep", "--preset", "mlp-small", "--space", "lr_g=1e-4,2e-4", "--name", "queued"]) == 2
    assert "exists" in capsys.readouterr().err


def test_cli_minutes_per_trial_fixes_the_epochs_from_this_machines_speed(planted, capsys):
    assert main(["sweep", "--preset", "mlp-small", "--space", "lr_g=1e-4,2e-4", "--sampler", "grid",
                 "--max-batches", "5", "--minutes-per-trial", "0.5", "--dry-run"]) == 0
    out = capsys.readouterr().out
    epochs = int(out.split("0.5 minutes per trial: ")[1].split()[0])
    assert epochs >= 1 and f"2 trials of {epochs} epoch" in out
    assert main(["sweep", "--preset", "mlp-small", "--space", "lr_g=1e-4,2e-4", "--minutes-per-trial", "0",
                 "--epochs", "2"]) == 2
    err = capsys.readouterr().err
    assert "--minutes-per-trial" in err and "either --minutes-per-trial or --epochs" in err


def test_two_worker_processes_on_the_sqlite_file_take_each_queued_trial_once(planted):
    """SQLite has no row locks: without the claim lock both workers took the same first trial."""
    assert main(["sweep", "--preset", "mlp-small", "--space", "lr_g=2e-4,5e-4,1e-3,1.5e-3", "--sampler", "grid",
                 "--pruner", "none", "--epochs", "1", "--max-batches", "3", "--eval-samples", "256", "--name", "pair",
                 "--no-start"]) == 0
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS.parent), str(TESTS)]), OMP_NUM_THREADS="1")
    workers = [subprocess.Popen([sys.executable, "-m", "helpers.study_scores", "sweep-worker", "pair"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(2)]
    for worker in workers:
        assert worker.wait(timeout=120) == 0, worker.stderr.read().decode()[-1500:]
    study, plan = load_study("pair", open_storage())
    assert [r.state for r in study_rows(study)] == ["complete"] * 4
    # a worker that finds no queued trial left may still open one of its own: it trains nothing
    extra = [t for t in study.trials if not t.user_attrs.get(PLANNED)]
    assert len(study.trials) == 4 + len(extra) and len(extra) <= 2
    assert all(t.user_attrs.get("reason", "").startswith("not planned") for t in extra)
    assert len(RunStore().runs()) == 4
