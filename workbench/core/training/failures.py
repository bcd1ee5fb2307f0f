"""How training fails: each error the trainer catches becomes a `Failed` event with its
`FailureReason`, set here once, and a message that says what to do; the same reason goes to
run.json. Readers (the sweep runner, the training view) decide by the reason, never by the text.
"""

from __future__ import annotations

import errno

import torch

from workbench.core.data.datasets import DatasetMissing
from workbench.core.events import Failed, FailureReason
from workbench.core.training.distributed import OtherRankFailed, SingleProcess


class NonFiniteLoss(RuntimeError):
    def __init__(self, epoch: int, batch: int, which: str):
        self.epoch, self.batch = epoch, batch
        super().__init__(f"The {which} loss became NaN or infinite at epoch {epoch}, batch {batch}; "
                         f"training stopped. The last good checkpoint (epoch {epoch - 1}) is kept.")


def check_finite(stats: torch.Tensor, start: int, end: int, epoch: int) -> None:
    """Raise NonFiniteLoss at the first NaN or infinite loss of batches start..end-1."""
    window = stats[start:end, :2]
    if window.numel() and not bool(torch.isfinite(window).all()):
        bad = (~torch.isfinite(window)).nonzero()[0].tolist()
        raise NonFiniteLoss(epoch, start + bad[0] + 1, "discriminator" if bad[1] == 0 else "generator")


def recorded(run, reason: FailureReason, message: str, epoch: int | None = None,
             batch: int | None = None) -> Failed:
    """The failure written to run.json, and the event that reports it."""
    run.record_failure(reason, message)
    return Failed(run.id, message, epoch, batch, reason)


def setup_reason(error: Exception) -> FailureReason:
    """Why training could not start, for an error met before the first batch."""
    if isinstance(error, DatasetMissing):
        return FailureReason.DATA_MISSING
    if isinstance(error, OtherRankFailed):
        return FailureReason.LOST_RANK
    return FailureReason.SETUP_FAILED


def write_reason(error: OSError) -> FailureReason:
    return FailureReason.DISK_FULL if error.errno == errno.ENOSPC else FailureReason.UNWRITABLE


def training_failure(run_id: str, error: Exception, group: SingleProcess, saved_epoch: int) -> Failed:
    """An error out of the epoch loop other than a NaN (a lost process, a full disk, a bug); the
    run is kept and resumes from `saved_epoch`. Not written to run.json yet: the disk may be full."""
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return Failed(run_id, f"Training stopped: {error}. The run is kept: free some space, then resume it; it "
                              f"continues from epoch {saved_epoch + 1}.", reason=FailureReason.DISK_FULL)
    lost = group.lost_peer_message(error, saved_epoch)
    if lost:
        return Failed(run_id, lost, reason=FailureReason.LOST_RANK)
    return Failed(run_id, f"Training failed: {type(error).__name__}: {error}", reason=FailureReason.CRASHED)
