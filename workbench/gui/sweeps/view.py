"""The Sweeps tab: plan a sweep (editor), start it, watch its ranked table fill as its runs train,
stop it (the run in progress stops the normal way and resumes exactly), resume it later, and
open all its runs in the compare view.

The table is read from the run folders (`Sweep.rows`) whenever an epoch ends, so it shows the
same thing whether the sweep runs here, in the CLI, or has finished long ago.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.core.atomic import describe_write_error
from workbench.core.config import ConfigError
from workbench.core.store.runs import Run, RunStore
from workbench.core.sweeps import SweepStatus, SweepStore
from workbench.gui import workers
from workbench.gui.formatting import format_duration, format_loss
from workbench.gui.layout import Panel, splitter
from workbench.gui.plots.colours import STATUS_COLORS
from workbench.gui.runs.actions import MAX_COMPARE
from workbench.gui.sweeps.editor import SweepEditor
from workbench.gui.sweeps.messages import problem_text
from workbench.gui.sweeps.worker import SweepWorker

#: the scores at the best epoch, as columns: metrics.jsonl key → header
AT_BEST = {"precision": "Precision", "recall": "Recall", "density": "Density", "coverage": "Coverage",
           "class_balance": "Class balance"}
TABLE_COLUMNS = ("Rank", "Config", "Status", "Epochs", "Best quality", "At epoch", *AT_BEST.values(), "D loss",
                 "G loss", "Time", "Run")
SWEEP_ID_ROLE = Qt.ItemDataRole.UserRole


def _number(value, spec: str) -> str:
    return format(value, spec) if isinstance(value, (int, float)) else ""


class SweepsView(QWidget):
    """`compare(runs)` opens runs in the compare view; `busy()` says whether something else is
    training (the Training tab), so a sweep does not start on top of it."""

    def __init__(self, store: RunStore | None = None, compare: Callable | None = None,
                 busy: Callable[[], str | None] | None = None, parent=None):
        super().__init__(parent)
        self.sweeps = SweepStore(runs=store or RunStore())
        self.compare_callback = compare
        self.busy = busy or (lambda: None)
        self._worker = self._thread = None
        self._current = None  # the sweep shown in the table
        self.last_ended = None

        self.editor = SweepEditor(self.sweeps.run_store, self)
        self.editor.changed.connect(self._sync_buttons)
        self.start_button = QPushButton("Start sweep", self)
        self.start_button.setObjectName("sweepStart")
        self.start_button.clicked.connect(self.start)
        plan_box = QGroupBox("New sweep", self)
        plan_layout = QVBoxLayout(plan_box)
        plan_layout.addWidget(self.editor, 1)
        plan_layout.addWidget(self.start_button)

        self.sweep_list = QListWidget(self)
        self.sweep_list.setObjectName("sweepList")
        self.sweep_list.currentItemChanged.connect(self._on_sweep_chosen)
        list_box = QGroupBox("Sweeps", self)
        QVBoxLayout(list_box).addWidget(self.sweep_list)

        self.title = QLabel(self)
        self.title.setObjectName("sweepTitle")
        self.title.setWordWrap(True)
        self.status_label = QLabel(self)
        self.status_label.setObjectName("sweepStatus")
        self.status_label.setWordWrap(True)
        self.progress = QProgressBar(self)
        self.progress.setObjectName("sweepProgress")
        self.table = QTableWidget(0, len(TABLE_COLUMNS), self)
        self.table.setObjectName("sweepTable")
        self.table.setHorizontalHeaderLabels(TABLE_COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.stop_button = QPushButton("Stop", self)
        self.stop_button.setObjectName("sweepStop")
        self.stop_button.setToolTip("Stop the run in progress (it resumes exactly) and end the sweep there")
        self.stop_button.clicked.connect(self.stop)
        self.resume_button = QPushButton("Resume sweep", self)
        self.resume_button.setObjectName("sweepResume")
        self.resume_button.clicked.connect(self.resume_selected)
        self.compare_button = QPushButton("Compare all", self)
        self.compare_button.setObjectName("sweepCompare")
        self.compare_button.clicked.connect(self.compare_all)
        buttons = QHBoxLayout()
        for button in (self.stop_button, self.resume_button, self.compare_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        table_box = Panel(self)
        table_layout = QVBoxLayout(table_box)
        table_layout.setContentsMargins(0, 0, 0, 0)
        table_layout.addWidget(self.title)
        table_layout.addWidget(self.status_label)
        table_layout.addWidget(self.progress)
        table_layout.addWidget(self.table, 1)
        table_layout.addLayout(buttons)

        left = splitter(self, Qt.Orientation.Vertical, [plan_box, list_box], [3, 2], name="sweepsLeft")
        main = splitter(self, Qt.Orientation.Horizontal, [left, table_box], [2, 3], [420, 640], name="sweepsSplit")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(main)
        self.refresh_list()
        self._sync_buttons()

    # ---- public ----------------------------------------------------------------------------
    def is_running(self) -> bool:
        return self._thread is not None

    def current_sweep(self):
        return self._current

    def start(self) -> bool:
        """Create the planned sweep and train it; False (with a message) when it can't."""
        plan = self.editor.plan()
        if plan is None or self.is_running():
            return False
        if not self._may_start():
            return False
        base, preset, axes, _points = plan
        try:
            sweep = self.sweeps.create(base, axes, name=self.editor.name(), preset=preset)
        except ConfigError as e:
            fields = {name for name, _values in self.editor.rows()}
            self._say("The sweep is not valid:\n" + "\n".join(problem_text(error, fields) for error in e.errors))
            return False
        except OSError as e:
            self._say(describe_write_error(e, getattr(e, "filename", None)))
            return False
        self._launch(sweep)
        return True

    def resume_selected(self) -> bool:
        sweep = self._current
        if sweep is None or self.is_running() or not self._may_start():
            return False
        self._launch(sweep)
        return True

    def stop(self) -> None:
        if self._worker is not None:
            self._worker.stop()
            self.status_label.setText("Stopping after the current batch; the run in progress keeps a checkpoint…")
            self.stop_button.setEnabled(False)

    def stop_and_wait(self, timeout_ms: int = 120_000) -> bool:
        """Stop a running sweep and wait for its thread (on quit)."""
        if self._thread is None:
            return True
        self.stop()
        thread = self._thread
        ok = thread.wait(timeout_ms)
        self._on_thread_finished()
        return ok

    def compare_all(self):
        if self._current is None or self.compare_callback is None:
            return None
        store = self.sweeps.run_store
        ranked = [row.run_id for row in self._current.rows(store) if row.run_id and row.epochs_done]
        runs = [Run(store.root / run_id) for run_id in ranked]
        if len(runs) < 2:
            self._say("Compare needs two runs of this sweep with a finished epoch.")
            return None
        if len(runs) > MAX_COMPARE:
            self.status_label.setText(f"Comparing the {MAX_COMPARE} best of the sweep's {len(runs)} runs.")
        return self.compare_callback(runs[:MAX_COMPARE])

    def refresh_list(self) -> None:
        """The stored sweeps, newest first; keeps the current one selected."""
        current = self._current.id if self._current else None
        self.sweep_list.blockSignals(True)
        self.sweep_list.clear()
        store = self.sweeps.run_store
        for sweep in reversed(self.sweeps.sweeps()):
            try:
                done, total = sweep.progress(store)
                text = f"{sweep.name} — {sweep.status(store)}, {done}/{total} runs"
            except (OSError, ValueError, KeyError, ConfigError) as e:
                text = f"{sweep.id} (unreadable: {e})"
            item = QListWidgetItem(text)
            item.setData(SWEEP_ID_ROLE, sweep.id)
            self.sweep_list.addItem(item)
            if sweep.id == current:
                self.sweep_list.setCurrentItem(item)
        self.sweep_list.blockSignals(False)
        self.editor.refresh_bases()

    def show_sweep(self, sweep) -> None:
        self._current = sweep
        self.refresh_table()
        self._sync_buttons()

    def refresh_table(self) -> None:
        sweep = self._current
        self.progress.setVisible(sweep is not None)  # an empty bar under the hint reads as stuck
        if sweep is None:
            self.table.setRowCount(0)
            self.title.setText("Plan a sweep on the left, or pick one from the list.")
            return
        store = self.sweeps.run_store
        try:
            rows = sweep.rows(store)
            done, total = sweep.progress(store)
            status = sweep.status(store) if not self.is_running() else SweepStatus.RUNNING
        except (OSError, ValueError, KeyError, ConfigError) as e:
            self.title.setText(f"Sweep {sweep.id} can't be read: {e}")
            return
        self.title.setText(f"<b>{sweep.name}</b> — {status}, {done} of {total} runs done "
                           f"(ranked by best quality; lower is better)")
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            values = (str(r.rank or ""), r.label, r.status, f"{r.epochs_done}/{r.epochs_total}",
                      _number(r.best_quality, ".3f"), str(r.best_epoch or ""),
                      *(_number(r.at_best.get(key), ".3f") for key in AT_BEST),
                      format_loss(r.final_d_loss), format_loss(r.final_g_loss), format_duration(r.train_seconds),
                      r.run_id or "")
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                if column == 2:
                    item.setForeground(QBrush(QColor(STATUS_COLORS.get(r.status, "#616161"))))
                self.table.setItem(i, column, item)
        self.table.resizeColumnsToContents()

    # ---- internals -------------------------------------------------------------------------
    def showEvent(self, event) -> None:
        """Sweeps and runs made elsewhere (the CLI, another window) appear when the tab is shown."""
        super().showEvent(event)
        if not self.is_running():
            self.refresh_list()
            self.refresh_table()
            self._sync_buttons()

    def _may_start(self) -> bool:
        reason = self.busy()
        if reason:
            self._say(f"{reason} A sweep would share the CPU with it; start the sweep when it is done.")
            return False
        return True

    def _say(self, text: str) -> None:
        self.status_label.setText(text)
        if self.isVisible():
            QMessageBox.warning(self, "Sweep", text)

    def _launch(self, sweep) -> None:
        self.last_ended = None
        self._current = sweep
        worker = SweepWorker(sweep, self.sweeps.run_store)
        worker.run_started.connect(self._on_run_started)
        worker.epoch_ended.connect(lambda event: self.refresh_table())
        worker.progress.connect(self._on_progress)
        worker.finished.connect(self._on_finished)
        self._worker = self._worker_object = worker
        self._thread = workers.start(worker)
        self._thread.finished.connect(self._on_thread_finished)
        self.status_label.setText(f"Starting sweep {sweep.id}…")
        self.refresh_list()
        self.refresh_table()
        self._sync_buttons()

    def _on_run_started(self, event) -> None:
        self._run_event = event
        self.status_label.setText(f"Run {event.position} of {event.remaining} (grid point {event.index + 1} of "
                                  f"{event.total}): {event.label}")
        self.refresh_table()

    def _on_progress(self, event) -> None:
        started = getattr(self, "_run_event", None)
        if started is not None and self._worker is not None and self.stop_button.isEnabled():
            self.status_label.setText(f"Run {started.position} of {started.remaining}: {started.label} · epoch "
                                      f"{event.epoch} · batch {event.batch}/{event.batches} · "
                                      f"{event.images_per_sec:,.0f} img/s")

    def _on_finished(self, ended) -> None:
        self.last_ended = ended
        self._worker = None
        self.status_label.setText(f"Sweep {ended.status}: {ended.message}")

    def _on_thread_finished(self) -> None:
        thread, worker = self._thread, getattr(self, "_worker_object", None)
        self._thread = self._worker = self._worker_object = None
        if thread is not None:
            workers.retire(thread, worker)
        self.refresh_list()
        self.refresh_table()
        self._sync_buttons()

    def _on_sweep_chosen(self, item, _previous=None) -> None:
        if item is None:
            return
        try:
            self.show_sweep(self.sweeps.get(item.data(SWEEP_ID_ROLE)))
        except LookupError as e:
            self.status_label.setText(str(e))

    def _sync_buttons(self) -> None:
        running = self.is_running()
        self.start_button.setEnabled(not running and self.editor.plan() is not None)
        self.stop_button.setEnabled(running and self._worker is not None)
        resumable = False
        if self._current is not None and not running:
            try:
                done, total = self._current.progress(self.sweeps.run_store)
                resumable = done < total
            except (OSError, ValueError, KeyError, ConfigError):
                resumable = False
        self.resume_button.setEnabled(resumable)
        self.compare_button.setEnabled(self._current is not None and self.compare_callback is not None)


def install_sweeps_tab(main_window, training_view, browser, store: RunStore | None = None) -> SweepsView:
    """Add the Sweeps tab: Compare all opens the Runs tab's compare view; a sweep does not start
    while the Training tab trains. Quitting stops a running sweep and waits for its checkpoint."""
    from PySide6.QtWidgets import QApplication

    def busy() -> str | None:
        return "A run is training in the Training tab." if training_view.is_training() else None

    from PySide6.QtWidgets import QTabWidget

    from workbench.gui.sweeps.study_view import StudyView

    view = SweepsView(store, compare=browser.compare_callback, busy=busy)
    study = StudyView(store, busy=lambda: busy() or ("A grid sweep is training." if view.is_running() else None))
    kinds = QTabWidget()
    kinds.setObjectName("sweepKinds")
    kinds.addTab(view, "Grid")
    kinds.addTab(study, "Search (Optuna)")
    main_window.add_tab(kinds, "Sweeps")
    app = QApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(view.stop_and_wait)
        app.aboutToQuit.connect(study.stop_and_wait)
        app.aboutToQuit.connect(view.editor.stop_estimating)
    return view
