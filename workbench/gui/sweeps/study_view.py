"""The Sweeps tab's Search page: plan an Optuna study (StudyForm: ranges or lists, a sampler, a
pruner, a storage), start it, and watch its trials live (StudyMonitor); the list holds every
study in the chosen storage, so one that workers on other machines train can be watched too.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QListWidget, QPushButton, QVBoxLayout, QWidget

from workbench.core.config import ConfigError
from workbench.core.store.runs import RunStore
from workbench.gui import workers
from workbench.gui.layout import splitter
from workbench.gui.sweeps.study_form import StudyForm
from workbench.gui.sweeps.study_monitor import StudyMonitor
from workbench.gui.sweeps.study_worker import StudyTrainingWorker


class StudyView(QWidget):
    def __init__(self, store: RunStore | None = None, busy=None, parent=None):
        super().__init__(parent)
        self.store = store or RunStore()
        self.busy = busy or (lambda: None)
        self._worker = self._thread = None

        self.form = StudyForm(self)
        self.form.changed.connect(self._sync)
        self.start_button = QPushButton("Start study", self)
        self.start_button.setObjectName("studyStart")
        self.start_button.clicked.connect(self.start)
        self.stop_button = QPushButton("Stop", self)
        self.stop_button.setObjectName("studyStop")
        self.stop_button.setToolTip("Stop the trial in progress; it is queued again and resumes its run")
        self.stop_button.clicked.connect(self.stop)
        plan_box = QGroupBox("New search (Optuna study)", self)
        plan_layout = QVBoxLayout(plan_box)
        plan_layout.addWidget(self.form, 1)
        plan_layout.addWidget(self.start_button)

        self.study_list = QListWidget(self)
        self.study_list.setObjectName("studyList")
        self.study_list.setMinimumHeight(70)  # a laptop screen holds the whole tab
        self.study_list.currentTextChanged.connect(
            lambda name: name and self.monitor.show_study(self.form.storage_url(), name))
        list_box = QGroupBox("Studies in the storage", self)
        QVBoxLayout(list_box).addWidget(self.study_list)
        self.monitor = StudyMonitor(self.store, self)

        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(list_box, 1)
        right_layout.addWidget(self.monitor, 5)
        right_layout.addWidget(self.stop_button, 0, Qt.AlignmentFlag.AlignLeft)
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(plan_box)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter(self, Qt.Orientation.Horizontal, [left, right], [2, 3], name="studySplit"))
        self._sync()

    # ---- starting and stopping -----------------------------------------------------------------
    def is_running(self) -> bool:
        return self._thread is not None

    def start(self) -> bool:
        from workbench.core.sweeps.study_store import StudyError, create_study, open_storage

        busy = self.busy()
        if busy or self.is_running():
            self.monitor.title.setText(busy or "A study is training here already.")
            return False
        try:
            plan = self.form.plan()
            create_study(plan, open_storage(self.form.storage_url()))
        except (ConfigError, StudyError) as e:
            self.monitor.title.setText(f"Not started: {e}")
            return False
        worker = StudyTrainingWorker(plan, self.form.storage_url(), self.store)
        worker.trial_started.connect(self._on_training_event)  # a method: queued to this (the GUI) thread
        worker.epoch_ended.connect(self._on_training_event)
        worker.finished.connect(self._on_finished)
        self._worker = worker
        self._thread = workers.start(worker)
        self._thread.finished.connect(self._on_thread_finished)
        self.refresh_list()
        self.monitor.show_study(self.form.storage_url(), plan.name)
        self._sync()
        return True

    def stop(self) -> None:
        if self._worker is not None:
            self._worker.stop()

    def stop_and_wait(self, timeout_ms: int = 120_000) -> bool:
        if self._thread is None:
            return True
        self.stop()
        ok = self._thread.wait(timeout_ms)
        self._on_thread_finished()
        return ok

    def refresh(self) -> None:
        self.monitor.refresh()

    def _on_training_event(self, _event) -> None:
        self.monitor.refresh()

    def _on_finished(self, ended) -> None:
        self.monitor.refresh()
        self.monitor.title.setText(f"Study {ended.sweep_id} {ended.status}: {ended.message}")

    def _on_thread_finished(self) -> None:
        thread, worker = self._thread, self._worker
        self._thread = self._worker = None
        if thread is not None:
            workers.retire(thread, worker)
        self._sync()

    def _sync(self) -> None:
        self.start_button.setEnabled(not self.is_running() and self.form.space.rowCount() > 0
                                     and not self.form.errors_label.isVisibleTo(self.form))
        self.stop_button.setEnabled(self.is_running())

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh_list()

    def refresh_list(self) -> None:
        from workbench.core.sweeps.study_store import StudyError, open_storage, study_names

        try:
            names = study_names(open_storage(self.form.storage_url()))
        except StudyError as e:
            self.monitor.title.setText(str(e))
            return
        current = self.study_list.currentItem().text() if self.study_list.currentItem() else None
        self.study_list.blockSignals(True)
        self.study_list.clear()
        self.study_list.addItems(names)
        matches = self.study_list.findItems(current or "", Qt.MatchFlag.MatchExactly)
        if matches:
            self.study_list.setCurrentItem(matches[0])
        self.study_list.blockSignals(False)
