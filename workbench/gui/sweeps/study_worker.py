"""A study's worker in a QThread: `core.sweeps.StudyWorker` trains queued trials, and its events
come through the training worker's signals, plus `trial_started` as it takes each trial.

The storage is opened in the worker's thread (a database session belongs to its thread); the
view reads the same storage through its own."""

from __future__ import annotations

from PySide6.QtCore import Signal

from workbench.core.sweeps.status import SweepEnded, SweepStatus
from workbench.core.sweeps.study_worker import StudyWorker, TrialStarted
from workbench.gui.training.worker import TrainingWorkerBase, apply_thread_policy


class StudyTrainingWorker(TrainingWorkerBase):
    """Trains the study `name` in `storage_url` (None: the home's); `finished` carries the SweepEnded."""

    trial_started = Signal(object)  # core.sweeps.study_worker.TrialStarted

    def __init__(self, plan, storage_url: str | None, store, parent=None):
        super().__init__(plan.base, parent)
        self.plan, self.storage_url, self.store = plan, storage_url, store

    @property
    def thread_name(self) -> str:
        return f"study-{self.plan.name}"

    def work(self):
        from workbench.core.sweeps.study_store import load_study, open_storage

        apply_thread_policy(self.config)
        study, plan = load_study(self.plan.name, open_storage(self.storage_url))
        return StudyWorker(study, plan, self.store).run(self._on_event, self.control)

    def crash_result(self, error: Exception):
        return SweepEnded(self.plan.name, SweepStatus.FAILED, f"The study could not run: {type(error).__name__}: "
                          f"{error}", 0)

    def failure_message(self, final) -> str | None:
        return final.message if final.status is SweepStatus.FAILED else None

    def _on_event(self, event) -> None:
        if isinstance(event, TrialStarted):
            self.trial_started.emit(event)
        elif not isinstance(event, SweepEnded):
            super()._on_event(event)
