"""Resuming a sweep stored before studies in a QThread: the training worker's signals, plus
`run_started` as the sweep moves to each of its runs, around the core's legacy runner
(`core.sweeps.legacy_runner`). New sweeps train as studies (`study_worker`).
"""

from __future__ import annotations

from PySide6.QtCore import Signal

from workbench.core.sweeps.legacy_runner import SweepRunner, SweepRunStarted
from workbench.core.sweeps.status import SweepEnded, SweepStatus
from workbench.gui.training.worker import TrainingWorkerBase, apply_thread_policy


class LegacySweepWorker(TrainingWorkerBase):
    """Trains an old sweep's remaining runs; `finished` carries the SweepEnded."""

    run_started = Signal(object)  # core.sweeps.legacy_runner.SweepRunStarted

    def __init__(self, sweep, store, parent=None):
        super().__init__(sweep.base(), parent)
        self.sweep = sweep
        self.store = store

    @property
    def thread_name(self) -> str:
        return f"sweep-{self.sweep.id}"

    def work(self):
        apply_thread_policy(self.config)
        return SweepRunner(self.sweep, self.store).run(self._on_event, self.control)

    def crash_result(self, error: Exception):
        message = f"The sweep could not run: {type(error).__name__}: {error}"
        return SweepEnded(self.sweep.id, SweepStatus.FAILED, message, 0)

    def failure_message(self, final) -> str | None:
        return final.message if final.status is SweepStatus.FAILED else None

    def _on_event(self, event) -> None:
        if isinstance(event, SweepRunStarted):
            self.run_started.emit(event)
        elif not isinstance(event, SweepEnded):
            super()._on_event(event)
