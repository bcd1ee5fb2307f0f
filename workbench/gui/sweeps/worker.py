"""A sweep in a QThread: the training worker's signals, plus `run_started` as the sweep moves to
each of its runs, around `core.sweeps.SweepRunner` instead of one Trainer.

Started, progress and epoch events of every run in the sweep come through the same signals
as a single run's, so anything that shows training can show a sweep's.
"""

from __future__ import annotations

from PySide6.QtCore import Signal

from workbench.core.sweeps import SweepEnded, SweepRunner, SweepRunStarted, SweepStatus
from workbench.gui.training.worker import TrainingWorker, apply_thread_policy


class SweepWorker(TrainingWorker):
    """Trains a sweep's remaining runs; `finished` carries the SweepEnded."""

    run_started = Signal(object)  # core.sweeps.SweepRunStarted

    def __init__(self, sweep, store, parent=None):
        super().__init__(sweep.base(), sweep, parent)
        self.sweep = sweep
        self.store = store

    def work(self):
        apply_thread_policy(self.config)
        return SweepRunner(self.sweep, self.store).run(self._on_event, self.control)

    def crashed(self, error: str):
        return SweepEnded(self.sweep.id, SweepStatus.FAILED, f"The sweep could not run: {error}", 0)

    def failure_message(self, final) -> str | None:
        return final.message if final.status is SweepStatus.FAILED else None

    def _on_event(self, event) -> None:
        if isinstance(event, SweepRunStarted):
            self.run_started.emit(event)
        elif not isinstance(event, SweepEnded):
            super()._on_event(event)
