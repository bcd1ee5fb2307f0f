"""The typed states of a run: RunStatus and FailureReason in run.json and in listings, RunInfo
reading run.json of any release, and the sweep's own status."""

import json

import pytest

from workbench.core.config import TrainConfig
from workbench.core.events import FailureReason
from workbench.core.store.run_info import RunInfo
from workbench.core.store.runs import RunStore
from workbench.core.store.status import RunStatus
from workbench.core.sweeps.status import SweepStatus


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
    assert str(SweepStatus.STOPPED) == "stopped"
    assert json.dumps({"status": SweepStatus.STOPPED, "reason": FailureReason.LOCKED}) == \
        '{"status": "stopped", "reason": "locked"}'
    assert RunStatus("finished") is RunStatus.FINISHED


def test_a_missing_or_unknown_status_lists_as_damaged(store):
    assert RunStatus.read(None) is RunStatus.DAMAGED and RunStatus.read("paused") is RunStatus.DAMAGED
    run = store.create(TrainConfig())
    run.update_info(status="paused")  # a word no release wrote
    assert run.summary().status is RunStatus.DAMAGED


def test_run_info_takes_defaults_for_missing_fields_and_keeps_unknown_ones():
    info = RunInfo.from_dict({})
    assert (info.name, info.status, info.epochs_done, info.train_seconds) == ("", RunStatus.DAMAGED, 0, None)
    assert info.reason is None and not info.diverged and info.versions == {} and info.extra == {}
    info = RunInfo.from_dict({"status": "stopped", "epochs_done": 4, "from_the_future": [1, 2], "sweep_index": 0})
    assert info.status is RunStatus.STOPPED and info.epochs_done == 4 and info.sweep_index == 0
    assert info.extra == {"from_the_future": [1, 2]}


def test_a_rewrite_of_run_json_keeps_keys_this_release_does_not_know(store):
    run = store.create(TrainConfig())
    run.update_info(from_the_future={"a": 1})
    info = run.update_info(notes="changed", status=RunStatus.FINISHED)
    assert info.extra == {"from_the_future": {"a": 1}} and info.notes == "changed"
    assert run.info()["from_the_future"] == {"a": 1} and run.read_info().status is RunStatus.FINISHED


@pytest.mark.parametrize("reason", list(FailureReason))
def test_every_failure_reason_round_trips_through_run_json(store, reason):
    run = store.create(TrainConfig())
    run.record_failure(reason, "what happened")
    data = json.loads(run.info_file.read_text())
    assert (data["status"], data["reason"], data["message"]) == ("failed", reason.value, "what happened")
    assert data.get("diverged", False) is (reason is FailureReason.DIVERGED)  # the mark older releases read
    info = run.read_info()
    assert info.reason is reason and info.diverged is (reason is FailureReason.DIVERGED)


def test_diverged_without_a_reason_is_an_older_release_s_diverged_run():
    assert RunInfo.from_dict({"status": "failed", "diverged": True}).reason is FailureReason.DIVERGED
    assert RunInfo.from_dict({"status": "failed", "message": "no data"}).reason is None
    # a reason written by this release wins: cleared (null) when the run was started again
    assert RunInfo.from_dict({"status": "running", "reason": None, "diverged": True}).reason is None
    full = RunInfo.from_dict({"status": "failed", "reason": "disk_full", "diverged": True})
    assert full.reason is FailureReason.DISK_FULL
    assert RunInfo.from_dict({"status": "failed", "reason": "a newer kind"}).reason is None
    assert "diverged" not in RunInfo.from_dict({"diverged": True}).extra


def test_where_training_fails_sets_the_reason_not_the_words():
    import errno

    from workbench.core.data.datasets import DatasetMissing
    from workbench.core.store.checkpoints import CheckpointError
    from workbench.core.training.distributed import SINGLE, OtherRankFailed, ProcessGroup
    from workbench.core.training.failures import setup_reason, training_failure, write_reason

    assert setup_reason(DatasetMissing("no MNIST")) is FailureReason.DATA_MISSING
    assert setup_reason(OtherRankFailed("rank 0: bad checkpoint")) is FailureReason.LOST_RANK
    assert setup_reason(CheckpointError("Refused")) is FailureReason.SETUP_FAILED
    assert write_reason(OSError(errno.ENOSPC, "full")) is FailureReason.DISK_FULL
    assert write_reason(OSError(errno.EROFS, "read-only")) is FailureReason.UNWRITABLE
    full = training_failure("r", OSError(errno.ENOSPC, "No space left"), SINGLE, 3)
    assert full.reason is FailureReason.DISK_FULL and "continues from epoch 4" in full.message
    lost = training_failure("r", OtherRankFailed("gone"), ProcessGroup(0, 2, 0, False), 3)
    assert lost.reason is FailureReason.LOST_RANK and "resume it" in lost.message
    crashed = training_failure("r", ValueError("the NaN of a bug"), SINGLE, 3)
    assert crashed.reason is FailureReason.CRASHED  # words that mention NaN do not make it diverged
