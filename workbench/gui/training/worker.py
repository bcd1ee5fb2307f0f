"""Training in a QThread: a `workers.Worker` that runs `core.training.Trainer` and turns its
events into signals, and the torch thread policy for training in the window.

Signals carry the core's event dataclasses (plain Python and numpy, never tensors). Stop,
pause and resume go straight to a thread-safe `TrainingControl`, because the worker's thread
is busy inside `Trainer.fit` and does not process queued calls until it returns.
"""

from __future__ import annotations

import os

from PySide6.QtCore import Signal

from workbench.core.events import (
    BatchProgress,
    EpochEnded,
    Failed,
    FailureReason,
    Finished,
    Notice,
    Preparing,
    Started,
    Stopped,
    TrainingControl,
)
from workbench.core.store.status import RunStatus
from workbench.gui.workers import Worker

THREADS_ENV = "WORKBENCH_TORCH_THREADS"


def training_threads(config=None) -> int:
    """torch intra-op threads for training in the window.

    Measured on 2 cores (benchmarks/gui_overhead.py): the small matrix products of the mlp
    presets lose more to the GUI thread preempting an OpenMP worker than they gain from a
    second thread (mlp-small in the window: ~12,000 img/s with 2 threads, ~16,000 with 1), so
    mlp training leaves one core to the GUI; convolutional nets do enough work per op to use
    every core (dcgan in the window: ~670 img/s with 2 threads, ~390 with 1).
    `WORKBENCH_TORCH_THREADS` overrides.
    """
    try:
        return max(1, int(os.environ[THREADS_ENV]))
    except (KeyError, ValueError):
        cores = os.cpu_count() or 2
        if config is not None and config.architecture != "mlp":
            return cores
        return max(1, cores - 1)


def apply_thread_policy(config=None) -> int:
    import torch

    wanted = training_threads(config)
    if torch.get_num_threads() != wanted:
        torch.set_num_threads(wanted)
    return wanted


class TrainingWorkerBase(Worker):
    """What training one run and training a sweep share: the core's events as signals, and a
    thread-safe control for stop, pause and resume. Subclasses write `work`, `crash_result`
    and `failure_message`."""

    started = Signal(object)  # core.events.Started
    progress = Signal(object)  # core.events.BatchProgress
    epoch_ended = Signal(object)  # core.events.EpochEnded
    failed = Signal(str)  # a failure's message, before `finished`, for whoever only shows errors
    preparing = Signal(object)  # core.events.Preparing (training a feature classifier once)
    notice = Signal(object)  # core.events.Notice (evaluation unavailable, …)

    def __init__(self, config, parent=None):
        super().__init__(parent)
        self.config = config
        self.control = TrainingControl()

    # thread-safe; called from the GUI thread
    def stop(self) -> None:
        self.control.stop()

    def pause(self) -> None:
        self.control.pause()

    def resume(self) -> None:
        self.control.resume()

    @property
    def paused(self) -> bool:
        return self.control.paused

    def failure_message(self, final) -> str | None:
        """The message of a final event that is a failure, else None."""
        raise NotImplementedError

    def finishing(self, final) -> None:
        message = self.failure_message(final)
        if message:
            self.failed.emit(message)

    def _on_event(self, event) -> None:
        if isinstance(event, BatchProgress):
            self.progress.emit(event)
        elif isinstance(event, EpochEnded):
            self.epoch_ended.emit(event)
        elif isinstance(event, Started):
            self.started.emit(event)
        elif isinstance(event, Preparing):
            self.preparing.emit(event)
        elif isinstance(event, Notice):
            self.notice.emit(event)
        # final events are emitted once, as `finished`, after the run returns


class TrainingWorker(TrainingWorkerBase):
    """Trains one run; emit order: started, (progress | epoch_ended)*, [failed], finished (the
    final event: Finished, Stopped or Failed)."""

    def __init__(self, config, run, parent=None):
        super().__init__(config, parent)
        self.run = run

    @property
    def thread_name(self) -> str:
        return f"training-{self.run.id}"

    def work(self):
        from workbench.core.training.trainer import (
            Trainer,  # torch loads here, off the GUI thread
        )

        apply_thread_policy(self.config)
        return Trainer(self.config, self.run).fit(self._on_event, self.control)

    def crash_result(self, error: Exception):
        message = f"Training could not run: {type(error).__name__}: {error}"
        try:
            self.run.update_info(status=RunStatus.FAILED, message=message, reason=FailureReason.CRASHED)
        except OSError:
            pass
        return Failed(self.run.id, message)

    def failure_message(self, final) -> str | None:
        return final.message if isinstance(final, Failed) else None


__all__ = ["TrainingWorker", "TrainingWorkerBase", "THREADS_ENV", "apply_thread_policy", "training_threads",
           "Started", "BatchProgress", "EpochEnded", "Finished", "Stopped", "Failed"]
