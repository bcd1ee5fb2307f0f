"""The Sweeps tab's Grid page: plan a grid (editor), start it as an Optuna grid study, watch its
trials fill and rank live (StudyMonitor, as the Search page shows a search), stop it (the run in
progress stops the normal way, its trial is queued again and resumes exactly), resume it later,
and open all its runs in the compare view.

The list holds the home's grid studies and the sweeps stored before studies; those old ones
show in the same table, and Resume continues them with the legacy runner, as they were trained.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from workbench.core.atomic import describe_write_error
from workbench.core.config import ConfigError
from workbench.core.store.runs import Run, RunStore
from workbench.core.sweeps.legacy_store import SweepStore
from workbench.gui import workers
from workbench.gui.layout import Panel, splitter
from workbench.gui.runs.actions import MAX_COMPARE
from workbench.gui.sweeps.editor import SweepEditor
from workbench.gui.sweeps.legacy_worker import LegacySweepWorker
from workbench.gui.sweeps.messages import problem_text
from workbench.gui.sweeps.study_monitor import StudyMonitor
from workbench.gui.sweeps.study_worker import StudyTrainingWorker

SWEEP_ROLE = Qt.ItemDataRole.UserRole  # ("study", name) or ("legacy", sweep id)


class SweepsView(QWidget):
    """`compare(runs)` opens runs in the compare view; `busy()` says whether something else is
    training (the Training tab), so a sweep does not start on top of it."""

    def __init__(self, store: RunStore | None = None, compare: Callable | None = None,
                 busy: Callable[[], str | None] | None = None, parent=None):
        super().__init__(parent)
        self.store = store or RunStore()
        self.legacy = SweepStore(runs=self.store)
        self.compare_callback = compare
        self.busy = busy or (lambda: None)
        self._worker = self._thread = None
        self._current: tuple[str, str] | None = None  # what the monitor shows: (kind, key)
        self._started = None  # the trial or run in progress
        self.last_ended = None

        self.editor = SweepEditor(self.store, self)
        self.editor.changed.connect(self._sync_buttons)
        self.start_button = QPushButton("Start sweep", self)
        self.start_button.setObjectName("sweepStart")
        self.start_button.clicked.connect(self.start)
        plan_box = QGroupBox("New grid sweep", self)
        plan_layout = QVBoxLayout(plan_box)
        plan_layout.addWidget(self.editor, 1)
        plan_layout.addWidget(self.start_button)

        self.sweep_list = QListWidget(self)
        self.sweep_list.setObjectName("sweepList")
        self.sweep_list.currentItemChanged.connect(self._on_sweep_chosen)
        list_box = QGroupBox("Grid sweeps", self)
        QVBoxLayout(list_box).addWidget(self.sweep_list)

        self.monitor = StudyMonitor(self.store, self)
        self.status_label = QLabel(self)
        self.status_label.setObjectName("sweepStatus")
        self.status_label.setWordWrap(True)
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
        table_layout.addWidget(self.monitor, 1)
        table_layout.addWidget(self.status_label)
        table_layout.addLayout(buttons)

        left = splitter(self, Qt.Orientation.Vertical, [plan_box, list_box], [3, 2], name="sweepsLeft")
        main = splitter(self, Qt.Orientation.Horizontal, [left, table_box], [2, 3], [420, 640], name="sweepsSplit")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(main)
        self.refresh_list()
        self._show_current()
        self._sync_buttons()

    # ---- public ----------------------------------------------------------------------------
    def is_running(self) -> bool:
        return self._thread is not None

    def current_sweep(self) -> tuple[str, str] | None:
        """("study", name) or ("legacy", sweep id) of the sweep shown."""
        return self._current

    def start(self) -> bool:
        """Create the planned grid study and train it; False (with a message) when it can't."""
        from dataclasses import replace

        from workbench.core.sweeps.study_store import StudyError, create_study, free_name, open_storage

        plan = self.editor.plan()
        if plan is None or self.is_running() or not self._may_start():
            return False
        try:
            storage = open_storage()
            plan = replace(plan, name=self.editor.name() or free_name(storage, plan.name))
            create_study(plan, storage)
        except ConfigError as e:
            fields = {name for name, _values in self.editor.rows()}
            self._say("The sweep is not valid:\n" + "\n".join(problem_text(error, fields) for error in e.errors))
            return False
        except StudyError as e:
            self._say(str(e).replace("--name ", "Name "))
            return False
        except OSError as e:
            self._say(describe_write_error(e, getattr(e, "filename", None)))
            return False
        self._launch(("study", plan.name), StudyTrainingWorker(plan, None, self.store))
        return True

    def resume_selected(self) -> bool:
        if self._current is None or self.is_running() or not self._may_start():
            return False
        kind, key = self._current
        if kind == "legacy":
            worker = LegacySweepWorker(self.legacy.get(key), self.store)
            worker.run_started.connect(self._on_run_started)
        else:
            from workbench.core.sweeps.study_store import load_study, open_storage

            worker = StudyTrainingWorker(load_study(key, open_storage())[1], None, self.store)
        self._launch(self._current, worker)
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
        ok = self._thread.wait(timeout_ms)
        self._on_thread_finished()
        return ok

    def compare_all(self):
        if self._current is None or self.compare_callback is None:
            return None
        self.monitor.refresh()
        runs = [Run(self.store.root / run_id) for run_id in self.monitor.run_ids()]
        if len(runs) < 2:
            self._say("Compare needs two runs of this sweep with a finished epoch.")
            return None
        if len(runs) > MAX_COMPARE:
            self.status_label.setText(f"Comparing the {MAX_COMPARE} best of the sweep's {len(runs)} runs.")
        return self.compare_callback(runs[:MAX_COMPARE])

    def refresh_list(self) -> None:
        """The home's grid studies, then the sweeps stored before studies, newest first; keeps the
        current one selected."""
        from workbench.core.sweeps.status import sweeps_dir
        from workbench.core.sweeps.study_store import StudyError, load_study, open_storage, study_names
        from workbench.core.sweeps.study_table import study_progress, study_status

        self.sweep_list.blockSignals(True)
        self.sweep_list.clear()
        entries = []
        try:
            storage = open_storage() if (sweeps_dir() / "studies.db").is_file() else None
            for name in reversed(study_names(storage) if storage is not None else []):
                study, plan = load_study(name, storage)
                if plan.is_grid:
                    done, total = study_progress(study, plan)
                    entries.append((("study", name), f"{name} — {study_status(study, plan)}, {done}/{total} runs"))
        except StudyError as e:
            self.status_label.setText(str(e))
        for sweep in reversed(self.legacy.sweeps()):
            try:
                done, total = sweep.progress(self.store)
                text = f"{sweep.name} — {sweep.status(self.store)}, {done}/{total} runs (stored before studies)"
            except (OSError, ValueError, KeyError, ConfigError) as e:
                text = f"{sweep.id} (unreadable: {e})"
            entries.append((("legacy", sweep.id), text))
        for key, text in entries:
            item = QListWidgetItem(text)
            item.setData(SWEEP_ROLE, key)
            self.sweep_list.addItem(item)
            if key == self._current:
                self.sweep_list.setCurrentItem(item)
        self.sweep_list.blockSignals(False)
        self.editor.refresh_bases()

    # ---- internals -------------------------------------------------------------------------
    def showEvent(self, event) -> None:
        """Sweeps and runs made elsewhere (the CLI, another window) appear when the tab is shown."""
        super().showEvent(event)
        if not self.is_running():
            self.refresh_list()
            self._show_current()
            self._sync_buttons()

    def _show_current(self) -> None:
        self.monitor.running_here = self.is_running()
        if self._current is None:
            self.monitor.clear("Plan a sweep on the left, or pick one from the list.")
        elif self._current[0] == "study":
            self.monitor.show_study(None, self._current[1])
        else:
            try:
                self.monitor.show_legacy(self.legacy.get(self._current[1]))
            except LookupError as e:
                self.monitor.clear(str(e))

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

    def _launch(self, current: tuple[str, str], worker) -> None:
        self.last_ended, self._started, self._current = None, None, current
        if isinstance(worker, StudyTrainingWorker):
            worker.trial_started.connect(self._on_run_started)
        worker.epoch_ended.connect(self._on_epoch_ended)  # a method: queued to this (the GUI) thread
        worker.progress.connect(self._on_progress)
        worker.finished.connect(self._on_finished)
        self._worker = self._worker_object = worker
        self._thread = workers.start(worker)
        self._thread.finished.connect(self._on_thread_finished)
        self.status_label.setText(f"Starting sweep {current[1]}…")
        self.refresh_list()
        self._show_current()
        self._sync_buttons()

    def _on_epoch_ended(self, _event) -> None:
        self.monitor.refresh()

    def _on_run_started(self, event) -> None:
        self._started = event
        self.status_label.setText(f"{self._place(event)}: {event.label}")
        self.monitor.refresh()

    @staticmethod
    def _place(event) -> str:
        if hasattr(event, "number"):  # a study's trial
            return f"Trial {event.number} ({event.done} of {event.total} done)"
        return f"Run {event.position} of {event.remaining} (grid point {event.index + 1} of {event.total})"

    def _on_progress(self, event) -> None:
        started = self._started
        if started is not None and self._worker is not None and self.stop_button.isEnabled():
            self.status_label.setText(f"{self._place(started)}: {started.label} · epoch {event.epoch} · batch "
                                      f"{event.batch}/{event.batches} · {event.images_per_sec:,.0f} img/s")

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
        self._show_current()
        self._sync_buttons()

    def _on_sweep_chosen(self, item, _previous=None) -> None:
        if item is None:
            return
        self._current = tuple(item.data(SWEEP_ROLE))
        self._show_current()
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        running = self.is_running()
        self.start_button.setEnabled(not running and self.editor.plan() is not None)
        self.stop_button.setEnabled(running and self._worker is not None)
        self.resume_button.setEnabled(self._current is not None and not running
                                      and self.monitor.done < self.monitor.total)
        self.compare_button.setEnabled(self._current is not None and self.compare_callback is not None)


def install_sweeps_tab(main_window, training_view, browser, store: RunStore | None = None) -> SweepsView:
    """Add the Sweeps tab, a Grid page and a Search page: Compare all opens the Runs tab's compare
    view; a sweep does not start while the Training tab (or the other page) trains. Quitting stops
    a running sweep and waits for its checkpoint."""
    from PySide6.QtWidgets import QApplication, QTabWidget

    from workbench.gui.sweeps.study_view import StudyView

    def busy() -> str | None:
        return "A run is training in the Training tab." if training_view.is_training() else None

    search = None
    view = SweepsView(store, compare=browser.compare_callback,
                      busy=lambda: busy() or ("A search is training." if search.is_running() else None))
    search = StudyView(store, busy=lambda: busy() or ("A grid sweep is training." if view.is_running() else None))
    kinds = QTabWidget()
    kinds.setObjectName("sweepKinds")
    kinds.addTab(view, "Grid")
    kinds.addTab(search, "Search (Optuna)")
    main_window.add_tab(kinds, "Sweeps")
    app = QApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(view.stop_and_wait)
        app.aboutToQuit.connect(search.stop_and_wait)
        app.aboutToQuit.connect(view.editor.stop_estimating)
        app.aboutToQuit.connect(view.monitor.stop_polling)
        app.aboutToQuit.connect(search.monitor.stop_polling)
    return view
