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
from workbench.core.sweeps import SweepRunner, SweepStore, expand, parse_axes
from workbench.core.sweeps.estimate import sweep_seconds

BASE = dict(epochs=2, max_batches=40, eval_samples=256, device="cpu")


def a_new_process() -> None:
    """What a sweep started from the command line begins with: nothing loaded."""
    registry.forget_memo()
    forget_resident()


def train(store: SweepStore, values: str) -> float:
    """Create and train a sweep over seeds; its wall time."""
    start = time.perf_counter()
    sweep = store.create(preset_config("mlp-small").with_changes(**BASE), parse_axes([f"seed={values}"]))
    assert SweepRunner(sweep, store.run_store).run().status == "finished"
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
    store = SweepStore()
    a_new_process()
    train(store, "1,2")  # what the estimate measures from

    a_new_process()
    configs = [p.config for p in expand(base, parse_axes(["seed=3,4"]))]
    seconds, how = sweep_seconds(configs, store.run_store, probe=False)
    assert how == "measured from stored runs"
    wall = train(store, "3,4")
    assert seconds == pytest.approx(wall, rel=0.3), (seconds, wall)
