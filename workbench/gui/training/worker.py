"""Training in a QThread: a QObject worker that runs `core.training.Trainer` and turns its
events into signals.

Signals carry the core's event dataclasses (plain Python and numpy, never tensors). Stop,
pause and resume go straight to a thread-safe `TrainingControl`, because the worker's thread
is busy inside `Trainer.run` and does not process queued calls until it returns.
"""

from __future__ import annotations

import os
import traceback
import weakref

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal, Slot

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

_threads: weakref.WeakSet[QThread] = weakref.WeakSet()
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


def running_threads() -> list[QThread]:
    """Training threads still running (tests assert none are left behind)."""
    out = []
    for thread in list(_threads):
        try:
            if thread.isRunning():
                out.append(thread)
        except RuntimeError:  # the C++ object is already deleted
            pass
    return out


class TrainingWorker(QObject):
    """Trains one run; emit order: started, (progress | epoch_ended)*, finished."""

    started = Signal(object)  # core.events.Started
    progress = Signal(object)  # core.events.BatchProgress
    epoch_ended = Signal(object)  # core.events.EpochEnded
    finished = Signal(object)  # the final event: Finished, Stopped or Failed
    failed = Signal(str)  # a Failed event's message, for whoever only shows errors
    preparing = Signal(object)  # core.events.Preparing (training a feature classifier once)
    notice = Signal(object)  # core.events.Notice (evaluation unavailable, …)

    def __init__(self, config, run, parent=None):
        super().__init__(parent)
        self.config = config
        self.run_dir = run
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

    @Slot()
    def run(self) -> None:
        """Runs in the worker thread; never raises, a failure becomes a final event.

        Subclasses change `work`, `crashed` and `failure_message`, never this slot: an
        overriding slot is not found by the queued connection and would run in the GUI thread.
        """
        try:
            final = self.work()
        except Exception as e:  # anything must reach the window, not kill the thread
            traceback.print_exc()
            final = self.crashed(f"{type(e).__name__}: {e}")
        message = self.failure_message(final)
        if message:
            self.failed.emit(message)
        # hand the worker back to the GUI thread before this thread ends, so that its
        # deleteLater runs there, never concurrently with Python dropping its wrapper
        app = QCoreApplication.instance()
        if app is not None:
            self.moveToThread(app.thread())
        self.finished.emit(final)

    def work(self):
        """The training itself, in the worker thread; returns the final event."""
        from workbench.core.training.trainer import (
            Trainer,  # torch loads here, off the GUI thread
        )

        apply_thread_policy(self.config)
        return Trainer(self.config, self.run_dir).fit(self._on_event, self.control)

    def crashed(self, error: str):
        message = f"Training could not run: {error}"
        try:
            self.run_dir.update_info(status=RunStatus.FAILED, message=message, reason=FailureReason.CRASHED)
        except OSError:
            pass
        return Failed(self.run_dir.id, message)

    def failure_message(self, final) -> str | None:
        return final.message if isinstance(final, Failed) else None

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
        # final events are emitted once by run(), after Trainer.run returns


def start_worker(worker: TrainingWorker) -> QThread:
    """Move `worker` to a new QThread and start it; worker.finished → thread.quit.

    quit is connected directly (it is thread-safe), so `thread.wait()` works even when the
    GUI thread is the one waiting. The owner calls `retire(thread, worker)` on
    `thread.finished` for the deleteLater step.
    """
    thread = QThread()
    thread.setObjectName(f"training-{worker.run_dir.id}")  # a run, or a sweep (sweep_worker)
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)
    _threads.add(thread)
    thread.start()
    return thread


def retire(thread: QThread, worker: TrainingWorker | None) -> None:
    """After `thread.finished` (in the GUI thread): wait until the OS thread has really ended,
    then deleteLater both objects. Doing this here rather than connecting deleteLater inside
    the ending thread avoids destroying a QThread that is still running, and a worker that
    Python is releasing at the same moment."""
    thread.wait()
    if worker is not None:
        worker.deleteLater()
    thread.deleteLater()


__all__ = ["TrainingWorker", "start_worker", "running_threads",
           "Started", "BatchProgress", "EpochEnded", "Finished", "Stopped", "Failed"]
