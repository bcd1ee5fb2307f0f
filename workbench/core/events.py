"""What a training run reports, and how it is steered: plain data, no torch, no Qt.

The trainer calls `on_event(event)` with these dataclasses (a `TrainingEvent`); front ends
(CLI, GUI worker) turn them into lines, bars and plots. `TrainingControl` is set from any
thread and read by the trainer between batches.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy only for a type: the run store reads FailureReason without loading numpy
    import numpy as np


class FailureReason(str, Enum):
    """Why a run failed, set where the trainer catches the error, so no reader searches the
    message text. Stored in run.json as `reason` (its plain word) beside the human `message`."""

    DIVERGED = "diverged"  # a loss went NaN or infinite: training it again gives the same NaN
    DATA_MISSING = "data_missing"  # the dataset or image folder is missing or unreadable
    DISK_FULL = "disk_full"  # too little space to start, or the disk filled while training
    LOCKED = "locked"  # another process is training the run
    UNWRITABLE = "unwritable"  # the run folder could not be written (read-only, gone)
    SETUP_FAILED = "setup_failed"  # could not start: no such device, a checkpoint that does not load or fit
    LOST_RANK = "lost_rank"  # another of the processes training the run together failed or stopped answering
    CRASHED = "crashed"  # anything else: an unexpected error while training

    def __str__(self) -> str:
        return self.value


@dataclass
class Started:
    run_id: str
    epochs_total: int
    epochs_done: int
    batches_per_epoch: int
    device: str
    grid_rows: tuple = ()  # a conditional run's grid: the class of each row, top to bottom


@dataclass
class BatchProgress:
    """Throttled (a few per second): where the epoch is, and the latest batch's losses."""

    epoch: int
    batch: int  # batches done in this epoch
    batches: int
    d_loss: float
    g_loss: float
    images_per_sec: float


@dataclass
class EpochEnded:
    epoch: int
    epochs_total: int
    d_loss: float
    g_loss: float
    d_real: float  # mean D(x)
    d_fake: float  # mean D(G(z)) before D's update
    images_per_sec: float
    seconds: float
    grid: np.ndarray  # (H, W) uint8, the fixed-noise samples
    batch_d_loss: list = field(default_factory=list)  # at most 100 points through the epoch
    batch_g_loss: list = field(default_factory=list)
    scores: dict = field(default_factory=dict)  # evaluation: quality, precision … class_balance, class_hist

    def metrics(self) -> dict:
        """The metrics.jsonl line for this epoch."""
        return {
            "epoch": self.epoch, "d_loss": self.d_loss, "g_loss": self.g_loss, "d_real": self.d_real,
            "d_fake": self.d_fake, "images_per_sec": self.images_per_sec, "seconds": self.seconds,
            "batch_d_loss": self.batch_d_loss, "batch_g_loss": self.batch_g_loss, **self.scores,
        }


@dataclass
class Preparing:
    """Slow set-up before the first batch (training a dataset's feature classifier once)."""

    message: str
    fraction: float


@dataclass
class Notice:
    """Something the user should know that does not stop training (evaluation unavailable)."""

    message: str


@dataclass
class Finished:
    run_id: str
    epochs_done: int


@dataclass
class Stopped:
    run_id: str
    epochs_done: int
    message: str


@dataclass
class Failed:
    run_id: str
    message: str
    epoch: int | None = None  # where a loss went NaN (DIVERGED)
    batch: int | None = None
    reason: FailureReason = FailureReason.CRASHED


#: how training ends: what `Trainer.fit` returns, and the last event it sends
FinalEvent = Finished | Stopped | Failed
#: everything `Trainer.fit` sends to `on_event`
TrainingEvent = Started | BatchProgress | EpochEnded | Preparing | Notice | FinalEvent


class TrainingControl:
    """Thread-safe stop/pause/resume flags, checked by the trainer between batches."""

    def __init__(self):
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()  # a paused run must wake up to stop

    def pause(self) -> None:
        if not self._stop.is_set():
            self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def wait_while_paused(self) -> None:
        while not self._running.wait(0.1):
            pass
