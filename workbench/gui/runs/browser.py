"""The Runs tab: every run in a sortable, filterable table above the selected run's details,
kept live, and `install_runs_tab` to add it to the main window.

A file-system watcher on the runs folder plus a cheap poll of file times update rows in place,
so a run trained by the CLI in another process appears and advances here. What can be done
with the selected runs lives in `runs.actions`; the background evaluation in `runs.evaluation`.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QFileSystemWatcher, QSize, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.core import words
from workbench.core.store.runs import Run, RunStore, RunSummary
from workbench.gui.layout import splitter
from workbench.gui.plots.colours import RunPalette
from workbench.gui.runs.actions import RunActions
from workbench.gui.runs.details import RunDetails
from workbench.gui.runs.evaluation import EvaluationBar
from workbench.gui.runs.lineage_actions import LineageActions
from workbench.gui.runs.table_model import (
    COLUMNS,
    RUN_ID_ROLE,
    THUMB_SIZE,
    RunFilterProxy,
    RunTableModel,
)

POLL_MS = 1500

ResumeCallback = Callable[[Run, "int | None"], None]
NewRunCallback = Callable[[object, "str | None"], None]
CompareCallback = Callable[[list], None]


class RunBrowser(QWidget, RunActions, LineageActions):
    """The runs tab. `resume(run, extra_epochs)`, `new_run(config, preset)` and
    `compare(runs)` are callables given by whoever embeds it (see `install_runs_tab`).
    `evaluate_samples` is how many images Evaluate scores per epoch (None: the core's default)."""

    evaluate_samples: int | None = None

    def __init__(self, store: RunStore | None = None, resume: ResumeCallback | None = None,
                 new_run: NewRunCallback | None = None, compare: CompareCallback | None = None,
                 palette: RunPalette | None = None, parent=None, poll_ms: int = POLL_MS):
        super().__init__(parent)
        self.store = store or RunStore()
        self.resume_callback = resume
        self.new_run_callback = new_run
        self.compare_callback = compare
        self.palette_ = palette or RunPalette(self)
        self._compare_windows: list[QWidget] = []
        self._generate_windows: list[QWidget] = []
        self._last_export_dir = ""

        self.model = RunTableModel(self.store, self.palette_, self)
        self.proxy = RunFilterProxy(self)
        self.proxy.setSourceModel(self.model)

        self.filter_edit = QLineEdit(self)
        self.filter_edit.setObjectName("runFilter")
        self.filter_edit.setPlaceholderText("Filter runs: name, status, preset, dataset…  (Ctrl+F)")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self.proxy.set_filter_text)
        self.count_label = QLabel(self)

        self.table = QTableView(self)
        self.table.setObjectName("runTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COLUMNS.index("created"), Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setIconSize(QSize(THUMB_SIZE, THUMB_SIZE))
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(THUMB_SIZE + 4)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        # narrow enough that the name keeps room on a 1366-px screen beside six score columns
        for column, width in {"grid": THUMB_SIZE + 12, "name": 220, "lineage": 150, "status": 72, "preset": 80,
                              "dataset": 85,
                              "epochs": 58, "d_loss": 64, "g_loss": 64, "quality": 64, "best": 72, "precision": 68,
                              "recall": 56, "density": 62, "coverage": 70, "class_balance": 96,
                              "class_accuracy": 74, "intra_quality": 74,
                              "created": 118, "duration": 66}.items():
            self.table.setColumnWidth(COLUMNS.index(column), width)
        header.setSectionResizeMode(COLUMNS.index("name"), QHeaderView.ResizeMode.Stretch)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._on_context_menu)
        self.table.doubleClicked.connect(lambda _index: self.open_selected())
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)

        self.details = RunDetails(self.palette_, self)
        self.details.notes_saved.connect(self._on_notes_saved)

        self.evaluation = EvaluationBar(self)
        self.evaluation.finished.connect(self._on_evaluated)

        self._make_lineage_actions()
        self._make_actions()
        buttons = QHBoxLayout()
        for action in (self.resume_action, self.fork_action, self.new_run_action, self.generate_action,
                       self.evaluate_action, self.export_action, self.compare_action, self.delete_action):
            button = QToolButton(self)
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            buttons.addWidget(button)
        more = QToolButton(self)
        more.setText("More")
        more.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        more_menu = QMenu(more)
        for action in (self.open_action, self.rename_action, self.notes_action, self.export_gif_action,
                       self.compare_parent_action, self.reveal_action, self.refresh_action):
            more_menu.addAction(action)
        more.setMenu(more_menu)
        buttons.addWidget(more)
        buttons.addStretch(1)
        buttons.addWidget(self.count_label)

        top = QWidget(self)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.filter_edit)
        top_layout.addLayout(buttons)
        top_layout.addWidget(self.evaluation)
        top_layout.addWidget(self.table, 1)
        self.splitter = splitter(self, Qt.Orientation.Vertical, [top, self.details], [3, 2], [420, 480])
        layout = QVBoxLayout(self)
        layout.addWidget(self.splitter)

        self.model.runs_changed.connect(self._on_runs_changed)
        self.model.runs_removed.connect(self._on_runs_removed)
        self.model.rowsInserted.connect(self._update_count)
        self.model.rowsRemoved.connect(self._update_count)
        self.proxy.layoutChanged.connect(self._update_count)
        self.filter_edit.textChanged.connect(self._update_count)

        # Live: the watcher notices runs appearing/disappearing at once, the poll notices
        # epochs advancing (files inside run folders) and trainers that died.
        self.watcher = QFileSystemWatcher(self)
        self.watcher.directoryChanged.connect(lambda _path: self._refresh_soon.start())
        self._refresh_soon = QTimer(self)
        self._refresh_soon.setSingleShot(True)
        self._refresh_soon.setInterval(150)
        self._refresh_soon.timeout.connect(self.refresh)
        self.poll_timer = QTimer(self)
        self.poll_timer.setInterval(poll_ms)
        self.poll_timer.timeout.connect(self.refresh)
        self.refresh()
        self.poll_timer.start()
        self._update_actions()

    # ---- selection ---------------------------------------------------------------------------
    def selected_ids(self) -> list[str]:
        rows = self.table.selectionModel().selectedRows()
        return [index.data(RUN_ID_ROLE) for index in sorted(rows, key=lambda i: i.row())]

    def selected_summaries(self) -> list[RunSummary]:
        out = []
        for run_id in self.selected_ids():
            s = self.model.summary_of(run_id)
            if s is not None:
                out.append(s)
        return out

    def selected_runs(self) -> list[Run]:
        return [Run(s.path) for s in self.selected_summaries()]

    def select_runs(self, run_ids: list[str]) -> None:
        """Select these runs in the table (the first becomes current)."""
        from PySide6.QtCore import QItemSelection, QItemSelectionModel

        selection = QItemSelection()
        for run_id in run_ids:
            row = self.model.row_of(run_id)
            if row is None:
                continue
            index = self.proxy.mapFromSource(self.model.index(row, 0))
            if index.isValid():
                selection.select(index, index)
        flags = (QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.table.selectionModel().select(selection, flags)
        if run_ids and self.model.row_of(run_ids[0]) is not None:
            index = self.proxy.mapFromSource(self.model.index(self.model.row_of(run_ids[0]), 0))
            self.table.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.NoUpdate)
            self.table.scrollTo(index)

    def _on_selection_changed(self, *_args) -> None:
        self._update_actions()
        selected = self.selected_summaries()
        if len(selected) == 1:
            s = selected[0]
            if self.details.run is None or self.details.run.id != s.id:
                self.details.show_run(Run(s.path), s)
        elif not selected:
            self.details.show_run(None)

    # ---- refresh -------------------------------------------------------------------------------
    def refresh(self) -> bool:
        root = self.store.root
        watch = str(root) if root.is_dir() else str(root.parent) if root.parent.is_dir() else None
        if watch and watch not in self.watcher.directories():
            if self.watcher.directories():
                self.watcher.removePaths(self.watcher.directories())
            self.watcher.addPath(watch)
        return self.model.refresh()

    def _on_runs_changed(self, run_ids: list) -> None:
        self._update_actions()
        if self.details.run is not None and self.details.run.id in run_ids:
            self.details.update_run(self.model.summary_of(self.details.run.id))

    def _on_runs_removed(self, run_ids: list) -> None:
        if self.details.run is not None and self.details.run.id in run_ids:
            self.details.show_run(None)
        self._update_actions()

    def _update_count(self, *_args) -> None:
        total, shown = self.model.rowCount(), self.proxy.rowCount()
        runs = words.count(total, "run")
        self.count_label.setText(runs if shown == total else f"{shown} of {runs}")

    def _on_notes_saved(self, run_id: str) -> None:
        self.model.forget(run_id)
        self.refresh()

    def closeEvent(self, event) -> None:
        self.evaluation.stop_and_wait()
        self.details.stop_strip()
        for window in list(self._generate_windows):
            window.close()
        super().closeEvent(event)

    # ---- UI state (QSettings) ------------------------------------------------------------------
    def save_state(self, settings) -> None:
        settings.setValue("runs/splitter", self.splitter.saveState())
        settings.setValue("runs/details_splitter", self.details.splitter.saveState())
        settings.setValue("runs/header", self.table.horizontalHeader().saveState())
        settings.setValue("runs/columns", ",".join(COLUMNS))
        settings.setValue("runs/export_dir", self._last_export_dir)

    def restore_state(self, settings) -> None:
        from PySide6.QtCore import QByteArray

        targets = [("runs/splitter", self.splitter), ("runs/details_splitter", self.details.splitter)]
        # a header state stores widths and the sort column by position: only for the same columns
        if settings.value("runs/columns", "") == ",".join(COLUMNS):
            targets.append(("runs/header", self.table.horizontalHeader()))
        for key, target in targets:
            state = settings.value(key)
            if isinstance(state, QByteArray):
                target.restoreState(state)
        folder = settings.value("runs/export_dir", "")
        self._last_export_dir = folder if isinstance(folder, str) else ""


def install_runs_tab(main_window, training_view, store: RunStore | None = None) -> RunBrowser:
    """Add the Runs tab to the main window, wired to the training view: resume and
    "new run from config" go to it (and bring it forward), comparisons open as their own tabs.

    Uses only `main_window.add_tab` (and `show_tab` when it has one) and the training view's
    `resume_run` / `load_config`, and its live Doctor panel's `try_change` when it has one."""
    browser: RunBrowser | None = None
    show_tab = getattr(main_window, "show_tab", None)

    def resume(run: Run, extra_epochs: int | None) -> None:
        if training_view.resume_run(run, extra_epochs=extra_epochs) is not False and show_tab:
            show_tab(training_view)

    def new_run(config, preset: str | None) -> None:
        if training_view.load_config(config, preset=preset) is not False and show_tab:
            show_tab(training_view)

    def compare(runs: list[Run]):
        from workbench.gui.compare.view import CompareView

        view = CompareView(runs, palette=browser.palette_)
        main_window.add_tab(view, f"Compare {len(runs)} runs")
        if show_tab:
            show_tab(view)
        return view

    browser = RunBrowser(store, resume=resume, new_run=new_run, compare=compare)
    main_window.add_tab(browser, "Runs")
    # the doctor's "Try this", in the Runs details and in the training tab: a fork with the change
    browser.details.doctor.try_change.connect(browser.try_change)
    live_doctor = getattr(getattr(training_view, "live_view", None), "doctor", None)
    if live_doctor is not None:
        live_doctor.try_change.connect(browser.try_change)
    from PySide6.QtWidgets import QApplication

    from workbench.gui.ui_settings import ui_settings

    browser.restore_state(ui_settings())
    app = QApplication.instance()
    if app is not None:  # the main window saves its own state on close; ours goes on quit
        app.aboutToQuit.connect(lambda: browser.save_state(ui_settings()))
        app.aboutToQuit.connect(browser.evaluation.stop_and_wait)
    return browser
