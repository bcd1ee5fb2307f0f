"""A study shared through a real PostgreSQL server by two `sweep-worker` processes, each training
into its own home: every trial runs exactly once, and a worker killed with SIGKILL mid-trial
leaves that trial failed (by the heartbeat check) and retried by the other, and the study
completes. `.ci/run` starts a throw-away server and sets WORKBENCH_TEST_POSTGRES_URL."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.core.store.runs import Run, RunStore
from workbench.core.store.status import RunStatus
from workbench.core.sweeps.study_store import load_study, open_storage
from workbench.core.sweeps.study_table import study_progress, study_rows

URL = os.environ.get("WORKBENCH_TEST_POSTGRES_URL")
TESTS = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(not URL, reason="WORKBENCH_TEST_POSTGRES_URL is not set: no PostgreSQL server to "
                                                "share a study through (.ci/run starts one)")


def _worker(name: str, home: Path, mnist_root: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS.parent), str(TESTS)]), WORKBENCH_HOME=str(home),
               WORKBENCH_DATA_DIR=str(mnist_root), OMP_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, "-m", "helpers.study_scores", "sweep-worker", name, "--storage", URL,
                             "--heartbeat", "1"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _training(home: Path) -> Run | None:
    """A run the worker of `home` is training, past its first epoch."""
    for run in RunStore(home / "runs").runs():
        summary = run.summary()  # never raises, even for a run folder being created
        if summary.status is RunStatus.RUNNING and summary.epochs_done >= 1:
            return run
    return None


def _finished(home: Path) -> int:
    return sum(1 for run in RunStore(home / "runs").runs() if run.summary().status is RunStatus.FINISHED)


def test_two_workers_share_a_study_and_a_killed_workers_trial_is_retried_once(isolated_home, mnist_root, tmp_path):
    name = f"shared-{uuid.uuid4().hex[:8]}"
    assert main(["sweep", "--preset", "mlp-small", "--space", "lr_g=log:1e-4:2e-3", "--trials", "6", "--pruner",
                 "none", "--epochs", "3", "--max-batches", "6", "--eval-samples", "256", "--name", name,
                 "--storage", URL, "--no-start"]) == 0
    homes = [tmp_path / "a", tmp_path / "b"]
    first, second = (_worker(name, home, mnist_root) for home in homes)
    deadline = time.monotonic() + 90  # the first worker finishes a trial, then is killed in its next one
    while time.monotonic() < deadline and not (_finished(homes[0]) and _training(homes[0])):
        time.sleep(0.05)
    killed = _training(homes[0])
    assert killed is not None and _finished(homes[0]), "the first worker never got into a second trial"
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert second.wait(timeout=150) == 0, second.stderr.read().decode()[-2000:]

    study, plan = load_study(name, open_storage(URL))
    rows = study_rows(study)
    assert study_progress(study, plan) == (6, 6)
    done = [r for r in rows if r.state == "complete"]
    failed = [r for r in rows if r.state == "retried"]
    assert len(done) == 6 and len(failed) == 1 and len(rows) == 7
    assert failed[0].run_id == killed.id
    retry = next(r for r in done if r.retry_of == failed[0].number)
    assert retry.params == failed[0].params  # the same values, trained again by the other worker
    runs = {run.id: run for home in homes for run in RunStore(home / "runs").runs()}
    assert len({r.run_id for r in done}) == 6  # every trial its own run, each trained once
    for row in done:
        run = runs[row.run_id]
        assert run.summary().status is RunStatus.FINISHED and [m["epoch"] for m in run.metrics().epochs] == [1, 2, 3]
    assert runs[killed.id].summary().status is RunStatus.STOPPED  # left where the kill found it
    assert len(runs) == 7
