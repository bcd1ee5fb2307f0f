"""The Sweeps tab's studies: plan an Optuna study (StudyForm), start it, and watch its trials —
a live table (queued, running, complete, pruned, failed, retried), the score against each
searched field, and Optuna's parameter importances once enough trials are complete.

The table is read from the study storage on every epoch of a trial trained here and every few
seconds otherwise, so trials that workers on other machines train show up as well.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.core.config import ConfigError
from workbench.core.store.runs import RunStore
from workbench.gui import workers
from workbench.gui.layout import splitter
from workbench.gui.sweeps.study_form import StudyForm
from workbench.gui.sweeps.study_worker import StudyTrainingWorker

COLUMNS = ("Rank", "Trial", "Values", "State", "Epochs", "Score", "Reason", "Run")
STATE_COLORS = {"running": "#1565c0", "complete": "#2e7d32", "pruned": "#6a1b9a", "failed": "#c62828",
                "retried": "#8d6e00", "queued": "#616161"}
REFRESH_MS = 3000


class StudyView(QWidget):
    def __init__(self, store: RunStore | None = None, busy=None, parent=None):
        super().__init__(parent)
        self.store = store or RunStore()
        self.busy = busy or (lambda: None)
        self._worker = self._thread = None
        self._shown: tuple[str | None, str] | None = None  # (storage URL, study name)
        self.rows = []

        self.form = StudyForm(self)
        self.form.changed.connect(self._sync)
        self.start_button = QPushButton("Start study", self)
        self.start_button.setObjectName("studyStart")
        self.start_button.clicked.connect(self.start)
        self.stop_button = QPushButton("Stop", self)
        self.stop_button.setObjectName("studyStop")
        self.stop_button.setToolTip("Stop the trial in progress; it is queued again and resumes its run")
        self.stop_button.clicked.connect(self.stop)
        plan_box = QGroupBox("New study (Optuna search)", self)
        plan_layout = QVBoxLayout(plan_box)
        plan_layout.addWidget(self.form, 1)
        plan_layout.addWidget(self.start_button)

        self.study_list = QListWidget(self)
        self.study_list.setObjectName("studyList")
        self.study_list.currentTextChanged.connect(lambda name: name and self.show_study(self.form.storage_url(), name))
        list_box = QGroupBox("Studies in the storage", self)
        QVBoxLayout(list_box).addWidget(self.study_list)

        self.title = QLabel(self)
        self.title.setObjectName("studyTitle")
        self.title.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("studyTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        for column in (0, 1, 3, 4, 5):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.axis_field = QComboBox(self)
        self.axis_field.setObjectName("studyPlotField")
        self.axis_field.currentTextChanged.connect(lambda _: self._plot())
        self.plot = pg.PlotWidget(self)
        self.plot.setObjectName("studyPlot")
        self.plot.setBackground("w")
        self.plot.setLabel("left", "score (lower: better)")
        self.scatter = pg.ScatterPlotItem(size=9)
        self.plot.addItem(self.scatter)
        self.importance_label = QLabel(self)
        self.importance_label.setObjectName("studyImportances")
        self.importance_label.setWordWrap(True)
        plot_row = QHBoxLayout()
        plot_row.addWidget(QLabel("Score against", self))
        plot_row.addWidget(self.axis_field, 1)
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(list_box, 1)
        right_layout.addWidget(self.title)
        right_layout.addWidget(self.table, 3)
        right_layout.addWidget(self.stop_button, 0, Qt.AlignmentFlag.AlignLeft)
        right_layout.addLayout(plot_row)
        right_layout.addWidget(self.plot, 2)
        right_layout.addWidget(self.importance_label)
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(plan_box)
        for widget, height in ((self.study_list, 70), (self.table, 80), (self.plot, 100)):
            widget.setMinimumHeight(height)  # a laptop screen holds the whole tab
        layout = QVBoxLayout(self)
        layout.addWidget(splitter(self, Qt.Orientation.Horizontal, [left, right], [2, 3], name="studySplit"))
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self._sync()

    # ---- starting and stopping -----------------------------------------------------------------
    def is_running(self) -> bool:
        return self._thread is not None

    def start(self) -> bool:
        from workbench.core.sweeps.study_store import StudyError, create_study, open_storage

        busy = self.busy()
        if busy or self.is_running():
            self.title.setText(busy or "A study is training here already.")
            return False
        try:
            plan = self.form.plan()
            create_study(plan, open_storage(self.form.storage_url()))
        except (ConfigError, StudyError) as e:
            self.title.setText(f"Not started: {e}")
            return False
        worker = StudyTrainingWorker(plan, self.form.storage_url(), self.store)
        worker.trial_started.connect(self._on_training_event)  # a method: queued to this (the GUI) thread
        worker.epoch_ended.connect(self._on_training_event)
        worker.finished.connect(self._on_finished)
        self._worker = worker
        self._thread = workers.start(worker)
        self._thread.finished.connect(self._on_thread_finished)
        self.refresh_list()
        self.show_study(self.form.storage_url(), plan.name)
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

    def _on_training_event(self, _event) -> None:
        self.refresh()

    def _on_finished(self, ended) -> None:
        self.title.setText(f"Study {ended.sweep_id} {ended.status}: {ended.message}")
        self.refresh()

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

    # ---- showing a study -----------------------------------------------------------------------
    def refresh_list(self) -> None:
        from workbench.core.sweeps.study_store import StudyError, open_storage, study_names

        try:
            names = study_names(open_storage(self.form.storage_url()))
        except StudyError as e:
            self.title.setText(str(e))
            return
        current = self.study_list.currentItem().text() if self.study_list.currentItem() else None
        self.study_list.blockSignals(True)
        self.study_list.clear()
        self.study_list.addItems(names)
        matches = self.study_list.findItems(current or "", Qt.MatchFlag.MatchExactly)
        if matches:
            self.study_list.setCurrentItem(matches[0])
        self.study_list.blockSignals(False)

    def show_study(self, url: str | None, name: str) -> None:
        self._shown = (url, name)
        self.timer.start()
        self.refresh()

    def refresh(self) -> None:
        from workbench.core.sweeps.study_store import StudyError, load_study, open_storage
        from workbench.core.sweeps.study_table import importances, study_progress, study_rows, study_status

        if self._shown is None:
            return
        try:
            study, plan = load_study(self._shown[1], open_storage(self._shown[0]))
        except StudyError as e:
            self.title.setText(str(e))
            return
        self.rows = study_rows(study, self.store)
        done, total = study_progress(study, plan)
        self.title.setText(f"<b>{plan.name}</b> — {study_status(study, plan)}, {done} of {total} trials done; "
                           f"sampler {plan.sampler}, pruner {plan.pruner}, {plan.base.epochs} epochs each")
        self._fill_table()
        fields = [d.name for d in plan.space]
        if [self.axis_field.itemText(i) for i in range(self.axis_field.count())] != fields:
            self.axis_field.blockSignals(True)
            self.axis_field.clear()
            self.axis_field.addItems(fields)
            self.axis_field.blockSignals(False)
        self._plot()
        shares = importances(study)
        self.importance_label.setText(
            "Parameter importances: " + ", ".join(f"{k} {v:.2f}" for k, v in shares.items()) if shares
            else "Parameter importances show once 4 trials are complete.")

    def _fill_table(self) -> None:
        self.table.setRowCount(len(self.rows))
        for i, r in enumerate(self.rows):
            score = f"{r.value:.3f}" if r.value is not None else ""
            cells = (r.rank or "", r.number, r.label, r.state, "" if r.epochs_done is None else r.epochs_done,
                     score, r.reason or (f"retry of #{r.retry_of}" if r.retry_of is not None else ""), r.run_id or "")
            for column, value in enumerate(cells):
                item = QTableWidgetItem(str(value))
                if column == 3:
                    item.setForeground(QBrush(QColor(STATE_COLORS.get(r.state, "#616161"))))
                self.table.setItem(i, column, item)

    def _plot(self) -> None:
        """The complete trials' scores against the chosen field (a list's values by position)."""
        name = self.axis_field.currentText()
        points = [(r.params.get(name), r.value) for r in self.rows if r.value is not None and name in r.params]
        numeric = all(isinstance(x, (int, float)) for x, _ in points)
        choices = sorted({str(x) for x, _ in points})
        xs = [float(x) for x, _ in points] if numeric else [choices.index(str(x)) for x, _ in points]
        log = numeric and bool(xs) and min(xs) > 0 and max(xs) / min(xs) > 20
        self.scatter.setData([math.log10(x) if log else x for x in xs], [v for _, v in points],
                             brush=pg.mkBrush("#2e7d32"))
        self.plot.setLabel("bottom", f"log10 {name}" if log else name if numeric else f"{name}: {', '.join(choices)}")
