"""The sweep's time estimate against the clock: it counts start-up, scoring and each epoch's
writes besides the training steps (it once counted only the steps, and said 2.3 s for a sweep
that took 13.2 s)."""

from __future__ import annotations

import time

import pytest

from workbench.core.data.placement import forget_resident
from workbench.core.evaluation import registry
from workbench.core.evaluation.run_scores import scoring_for
from workbench.core.presets import preset_config
from workbench.core.store.runs import RunStore
from workbench.core.sweeps.estimate import sweep_seconds
from workbench.core.sweeps.study_store import create_study, grid_configs, load_study, make_plan, open_storage
from workbench.core.sweeps.study_worker import StudyWorker

BASE = dict(epochs=2, max_batches=40, eval_samples=256, device="cpu")


def a_new_process() -> None:
    """What a sweep started from the command line begins with: nothing loaded."""
    registry.forget_memo()
    forget_resident()


def seeds(values: str):
    return make_plan(f"seeds-{values}", preset_config("mlp-small").with_changes(**BASE), [f"seed={values}"], "grid",
                     "none", None, lists=True)


def train(values: str) -> float:
    """Create and train a grid study over seeds; its wall time."""
    start = time.perf_counter()
    plan = seeds(values)
    storage = open_storage()
    create_study(plan, storage)
    study, plan = load_study(plan.name, storage)
    assert StudyWorker(study, plan).run().status == "finished"
    return time.perf_counter() - start


@pytest.fixture
def one_thread():
    """One torch thread: on a machine shared with other jobs, a second thread waiting for its
    turn stalls every step of both, which times noise rather than the estimate."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_the_estimate_from_stored_runs_is_within_30_percent_of_the_wall_time(isolated_home, mnist_root,
                                                                             monkeypatch, fresh_scoring_memory,
                                                                             one_thread):
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(mnist_root))
    base = preset_config("mlp-small").with_changes(**BASE)
    scoring_for(base)  # the scoring model's reference features, computed once per machine, as after a first run
    a_new_process()
    train("1,2")  # what the estimate measures from

    a_new_process()
    configs = [config for _, config in grid_configs(seeds("3,4"))]
    seconds, how = sweep_seconds(configs, RunStore(), probe=False)
    assert how == "measured from stored runs"
    wall = train("3,4")
    assert seconds == pytest.approx(wall, rel=0.3), (seconds, wall)
