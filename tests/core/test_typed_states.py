"""The typed states of a run: RunStatus in run.json and in listings, and the sweep's own."""

import json

import pytest

from workbench.core.config import TrainConfig
from workbench.core.store.runs import RunStore
from workbench.core.store.status import RunStatus
from workbench.core.sweeps.store import SweepStatus


@pytest.fixture
def store(isolated_home):
    return RunStore()


@pytest.mark.parametrize("status", [s for s in RunStatus if s is not RunStatus.DAMAGED])
def test_every_written_status_round_trips_through_run_json_as_its_plain_word(store, status):
    run = store.create(TrainConfig())
    run.update_info(status=status)
    assert json.loads(run.info_file.read_text())["status"] == status.value  # the word older releases wrote
    listed = run.summary().status
    expected = RunStatus.STOPPED if status is RunStatus.RUNNING else status  # no process holds its lock
    assert listed is expected and isinstance(listed, RunStatus)


def test_a_status_reads_the_same_as_its_word_in_tables_json_and_comparisons():
    assert RunStatus.FAILED == "failed" and f"{RunStatus.FAILED:<8}|" == "failed  |"
    assert str(SweepStatus.STOPPED) == "stopped" and json.dumps({"status": SweepStatus.STOPPED}) == '{"status": "stopped"}'
    assert RunStatus("finished") is RunStatus.FINISHED


def test_a_missing_or_unknown_status_lists_as_damaged(store):
    assert RunStatus.read(None) is RunStatus.DAMAGED and RunStatus.read("paused") is RunStatus.DAMAGED
    run = store.create(TrainConfig())
    run.update_info(status="paused")  # a word no release wrote
    assert run.summary().status is RunStatus.DAMAGED
