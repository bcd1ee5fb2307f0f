"""Evaluating a stored run from the Runs tab: every epoch with a checkpoint is scored, then the
discriminator report of the latest, in a worker thread, under a progress bar with Cancel.

The worker is a `workers.Worker`: started by `workers.start`, retired by the GUI thread like every
other, and the check for threads left running covers it too. torch is
imported inside the worker, so listing runs never loads it. Outcomes are plain dicts.
"""

from __future__ import annotations

from enum import Enum

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from workbench.core.store.runs import Run
from workbench.gui import workers

SCORES_SHARE = 0.9  # of the progress bar; the discriminator report takes the rest


class EvaluationStatus(str, Enum):
    """How an evaluation job ended (a job's outcome, not a run's status)."""

    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"


class EvaluationWorker(workers.CancellableWorker):
    """Scores every epoch of one run on `samples` images each (None: the core's default), then
    stores the latest epoch's discriminator report.

    `finished` carries {"run_id", "status": EvaluationStatus, "message",
    "scores": [per-epoch dicts], "report": dict | None}."""

    def __init__(self, run: Run, samples: int | None = None, parent=None):
        super().__init__(parent)
        self.run = run
        self.samples = samples

    @property
    def thread_name(self) -> str:
        return f"evaluate-{self.run.id}"

    def work(self) -> dict:
        from workbench.core.config import ConfigError
        from workbench.core.data.datasets import DatasetMissing
        from workbench.core.evaluation.classifier import EvaluationCancelled  # torch loads here
        from workbench.core.store.checkpoints import CheckpointError
        from workbench.core.store.runs import RunLocked

        outcome = self._outcome()
        try:
            self._evaluate(outcome)
        except EvaluationCancelled:
            outcome.update(status=EvaluationStatus.CANCELLED, message="Evaluation cancelled.")
        except (DatasetMissing, RunLocked, CheckpointError, ConfigError, ValueError, OSError) as e:
            outcome["message"] = str(e)  # expected trouble, said in words without a traceback
        return outcome

    def crash_result(self, error: Exception) -> dict:
        return self._outcome(message=f"{type(error).__name__}: {error}")

    def _outcome(self, **values) -> dict:
        return {"run_id": self.run.id, "status": EvaluationStatus.FAILED, "message": "", "scores": [], "report": None,
                **values}

    def _evaluate(self, outcome: dict) -> None:
        from workbench.core.evaluation.classifier import EvaluationCancelled
        from workbench.core.evaluation.run_scores import (
            evaluate_all_epochs,
            run_discriminator_report,
        )

        def stage(start: float, share: float):
            def progress(fraction: float, text: str) -> None:
                if self.cancelled():  # stop at the next step the core reports, not only between epochs
                    raise EvaluationCancelled("cancelled")
                self.progress.emit(start + share * max(0.0, min(1.0, fraction)), text)
            return progress

        samples = {} if self.samples is None else {"samples": self.samples}
        outcome["scores"] = evaluate_all_epochs(self.run, progress=stage(0.0, SCORES_SHARE),
                                                cancel=self.cancelled, **samples)
        if self.cancelled():
            raise EvaluationCancelled("cancelled")
        self.progress.emit(SCORES_SHARE, "discriminator report")
        outcome["report"] = run_discriminator_report(self.run, progress=stage(SCORES_SHARE, 1 - SCORES_SHARE),
                                                     cancel=self.cancelled)
        outcome["status"] = EvaluationStatus.DONE


class EvaluationBar(QWidget):
    """Progress bar and Cancel for the one evaluation the browser runs at a time; hidden when idle.

    `finished(outcome)` is emitted in the GUI thread after the worker is retired."""

    finished = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.label = QLabel(self)
        self.label.setObjectName("evaluateLabel")
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setObjectName("evaluateProgress")
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("evaluateCancel")
        self.cancel_button.setToolTip("Stop evaluating; scores of epochs already evaluated are kept")
        self.cancel_button.clicked.connect(self.cancel)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label)
        row.addWidget(self.progress_bar, 1)
        row.addWidget(self.cancel_button)
        self._worker: EvaluationWorker | None = None
        self._thread = None
        self._outcome: dict | None = None
        self._name = ""
        self.hide()

    def is_running(self) -> bool:
        return self._worker is not None

    def start(self, run: Run, name: str, samples: int | None = None) -> bool:
        if self._worker is not None:
            return False
        self._outcome = None
        self._worker = EvaluationWorker(run, samples)
        self._worker.progress.connect(self._on_progress)
        self._worker.finished.connect(self._on_worker_finished)
        self._name = name
        self.label.setText(f"Evaluating {name}: preparing the feature classifier…")
        self.progress_bar.setRange(0, 0)  # busy until the first step: loading the classifier can take a while
        self.cancel_button.setEnabled(True)
        self.show()
        self._thread = workers.start(self._worker)
        self._thread.finished.connect(self._on_thread_finished)
        return True

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            self.cancel_button.setEnabled(False)
            self.label.setText(f"Evaluating {self._name}: cancelling…")

    def stop_and_wait(self) -> None:
        """Cancel and wait for the worker (closing the window); its outcome is dropped."""
        if self._worker is None:
            return
        self._worker.cancel()
        thread, worker = self._thread, self._worker
        self._thread.finished.disconnect(self._on_thread_finished)
        self._worker = self._thread = None
        workers.retire(thread, worker)
        self.hide()

    def _on_progress(self, fraction: float, text: str) -> None:
        if self._worker is None or self._worker.cancelled():
            return
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setValue(round(1000 * fraction))
        self.label.setText(f"Evaluating {self._name}: {text}")

    def _on_worker_finished(self, outcome: dict) -> None:
        self._outcome = outcome

    def _on_thread_finished(self) -> None:
        if self._thread is None:  # already retired by stop_and_wait
            return
        thread, worker = self._thread, self._worker
        self._worker = self._thread = None
        workers.retire(thread, worker)
        self.hide()
        outcome = self._outcome or {"run_id": worker.run.id if worker else None, "status": EvaluationStatus.FAILED,
                                    "message": "The evaluation ended without a result.", "scores": [],
                                    "report": None}
        self.finished.emit(outcome)


__all__ = ["EvaluationBar", "EvaluationWorker"]
