"""One sweep's trials, live: a table ranked by best-epoch score (queued, running, complete,
pruned, failed, retried, with the other scores at the best epoch, the time and why a trial was
pruned or failed), the score against each searched field, and Optuna's parameter importances
once enough trials are complete. Both pages of the Sweeps tab show their sweeps with it.

A study is read from its storage on every epoch of a trial trained here and every few seconds
otherwise (in a worker thread, so a slow server never holds up the window), so trials that
workers on other machines train show up as well. A sweep stored before
studies (`core.sweeps.legacy_store`) is shown in the same table, read from its runs.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.core.config import ConfigError
from workbench.core.store.runs import RunStore
from workbench.gui import workers
from workbench.gui.formatting import format_duration

#: the scores at the best epoch, as columns: metrics.jsonl key → header
AT_BEST = {"precision": "Precision", "recall": "Recall", "density": "Density", "coverage": "Coverage",
           "class_balance": "Class balance"}
COLUMNS = ("Rank", "Trial", "Values", "State", "Epochs", "Score", *AT_BEST.values(), "Time", "Reason", "Run")
STATE_COLUMN, SCORE_COLUMN = 3, 5
STATE_COLORS = {"running": "#1565c0", "complete": "#2e7d32", "finished": "#2e7d32", "pruned": "#6a1b9a",
                "failed": "#c62828", "retried": "#8d6e00", "stopped": "#8d6e00", "queued": "#616161"}
REFRESH_MS = 3000


def _number(value, spec: str = ".3f") -> str:
    return format(value, spec) if isinstance(value, (int, float)) else ""


class SnapshotReader(workers.Worker):
    """Reads one study (`core.sweeps.study_table.read_snapshot`) in a worker thread; `finished`
    carries (what was asked for, the snapshot or why it cannot be read)."""

    def __init__(self, shown: tuple[str | None, str], store: RunStore):
        super().__init__()
        self.shown, self.store = shown, store

    def work(self):
        from workbench.core.sweeps.study_store import StudyError
        from workbench.core.sweeps.study_table import read_snapshot

        try:
            return self.shown, read_snapshot(self.shown[0], self.shown[1], self.store)
        except StudyError as e:
            return self.shown, str(e)

    def crash_result(self, error: Exception):
        return self.shown, f"The study cannot be read: {error}"


class StudyMonitor(QWidget):
    """Shows one study (`show_study`) or one sweep stored before studies (`show_legacy`);
    `rows` are its rows as the table shows them, ranked, and `done`/`total` its progress."""

    def __init__(self, store: RunStore | None = None, parent=None):
        super().__init__(parent)
        self.store = store or RunStore()
        self.shown: tuple[str | None, str] | None = None  # a study's (storage URL, name)
        self.legacy = None  # or a legacy Sweep
        self.rows: list = []
        self.done = self.total = 0
        self.status = ""
        self.running_here = False  # a worker of this window trains the shown sweep
        self.reader: SnapshotReader | None = None  # the timer's read in progress
        self.reader_thread = None

        self.title = QLabel(self)
        self.title.setObjectName("studyTitle")
        self.title.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("studyTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setMinimumHeight(80)
        self.axis_field = QComboBox(self)
        self.axis_field.setObjectName("studyPlotField")
        self.axis_field.currentTextChanged.connect(lambda _: self._plot())
        self.plot = pg.PlotWidget(self)
        self.plot.setObjectName("studyPlot")
        self.plot.setBackground("w")
        self.plot.setLabel("left", "score (lower: better)")
        self.plot.setMinimumHeight(100)
        self.scatter = pg.ScatterPlotItem(size=9)
        self.plot.addItem(self.scatter)
        self.importance_label = QLabel(self)
        self.importance_label.setObjectName("studyImportances")
        self.importance_label.setWordWrap(True)
        self.plot_row = QWidget(self)
        plot_row = QHBoxLayout(self.plot_row)
        plot_row.setContentsMargins(0, 0, 0, 0)
        plot_row.addWidget(QLabel("Score against", self))
        plot_row.addWidget(self.axis_field, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.table, 3)
        layout.addWidget(self.plot_row)
        layout.addWidget(self.plot, 2)
        layout.addWidget(self.importance_label)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self._poll)
        self.clear("")

    # ---- what is shown ---------------------------------------------------------------------
    def clear(self, hint: str) -> None:
        self.shown, self.legacy, self.rows, self.done, self.total, self.status = None, None, [], 0, 0, ""
        self.timer.stop()
        self.table.setRowCount(0)
        self.title.setText(hint)
        self._show_plot(False)

    def show_study(self, url: str | None, name: str) -> None:
        self.shown, self.legacy = (url, name), None
        self.timer.start()
        self.refresh()

    def show_legacy(self, sweep) -> None:
        """A sweep stored before studies: its runs' table, read from the run folders."""
        self.shown, self.legacy = None, sweep
        self.timer.stop()
        self.refresh()

    def run_ids(self) -> list[str]:
        """The runs of the shown sweep that have trained an epoch, best first."""
        return [r.run_id for r in self.rows if r.run_id and r.epochs_done]

    def refresh(self) -> None:
        if self.legacy is not None:
            self._refresh_legacy()
        elif self.shown is not None:
            self._refresh_study()

    def _refresh_study(self) -> None:
        """Read the study now, in the GUI thread (after an epoch trained here, or when asked)."""
        from workbench.core.sweeps.study_store import StudyError
        from workbench.core.sweeps.study_table import read_snapshot

        try:
            snapshot = read_snapshot(self.shown[0], self.shown[1], self.store)
        except StudyError as e:
            self.title.setText(str(e))
            return
        self._show_snapshot(self.shown, snapshot)

    def _poll(self) -> None:
        """The timer's refresh (it runs for a study only): read in a worker thread, so a slow
        storage (a server on another machine) never holds up the window."""
        if self.shown is not None and self.reader is None:
            self.reader = SnapshotReader(self.shown, self.store)
            self.reader.finished.connect(self._on_read)
            self.reader_thread = workers.start(self.reader)

    def _on_read(self, result) -> None:
        workers.retire(self.reader_thread, self.reader)
        self.reader = self.reader_thread = None
        shown, snapshot = result
        if shown != self.shown:  # another study was chosen meanwhile
            return
        if isinstance(snapshot, str):
            self.title.setText(snapshot)
        else:
            self._show_snapshot(shown, snapshot)

    def stop_polling(self) -> None:
        """Stop the timer and wait for a read in progress (the window is closing)."""
        self.timer.stop()
        if self.reader_thread is not None:
            self.reader_thread.wait()

    def _show_snapshot(self, shown, snapshot) -> None:
        plan = snapshot.plan
        self.rows, self.done, self.total = snapshot.rows, snapshot.done, snapshot.total
        self.status = "running" if self.running_here else str(snapshot.status)
        kind = "a grid" if plan.is_grid else f"sampler {plan.sampler}, pruner {plan.pruner}"
        self.title.setText(f"<b>{plan.name}</b> — {self.status}, {self.done} of {self.total} trials done; {kind}, "
                           f"{plan.base.epochs} epochs each (ranked by best-epoch score; lower is better)")
        self._fill([(r.rank or "", r.number, r.label, r.state, "" if r.epochs_done is None else r.epochs_done,
                     _number(r.value), r.at_best, r.train_seconds,
                     r.reason or (f"retry of #{r.retry_of}" if r.retry_of is not None else ""), r.run_id or "")
                    for r in self.rows])
        self._show_plot(True)
        fields = [d.name for d in plan.space]
        if [self.axis_field.itemText(i) for i in range(self.axis_field.count())] != fields:
            self.axis_field.blockSignals(True)
            self.axis_field.clear()
            self.axis_field.addItems(fields)
            self.axis_field.blockSignals(False)
        self._plot()
        shares = snapshot.importances
        self.importance_label.setText(
            "Parameter importances: " + ", ".join(f"{k} {v:.2f}" for k, v in shares.items()) if shares
            else "Parameter importances show once 4 trials are complete.")

    def _refresh_legacy(self) -> None:
        sweep = self.legacy
        try:
            self.rows = sweep.rows(self.store)
            self.done, self.total = sweep.progress(self.store)
            self.status = "running" if self.running_here else str(sweep.status(self.store))
        except (OSError, ValueError, KeyError, ConfigError) as e:
            self.title.setText(f"Sweep {sweep.id} can't be read: {e}")
            return
        self.title.setText(f"<b>{sweep.name}</b> — {self.status}, {self.done} of {self.total} runs done; a grid "
                           "sweep stored before studies (ranked by best quality; lower is better)")
        self._fill([(r.rank or "", r.index, r.label, r.status, f"{r.epochs_done}/{r.epochs_total}",
                     _number(r.best_quality), r.at_best, r.train_seconds, "", r.run_id or "") for r in self.rows])
        self._show_plot(False)

    def _fill(self, rows: list[tuple]) -> None:
        self.table.setRowCount(len(rows))
        for i, (rank, number, label, state, epochs, score, at_best, seconds, reason, run_id) in enumerate(rows):
            cells = (rank, number, label, state, epochs, score, *(_number(at_best.get(key)) for key in AT_BEST),
                     format_duration(seconds), reason, run_id)
            for column, value in enumerate(cells):
                item = QTableWidgetItem(str(value))
                if column == STATE_COLUMN:
                    item.setForeground(QBrush(QColor(STATE_COLORS.get(str(state), "#616161"))))
                self.table.setItem(i, column, item)

    def _show_plot(self, visible: bool) -> None:
        for widget in (self.plot_row, self.plot, self.importance_label):
            widget.setVisible(visible)

    def _plot(self) -> None:
        """The complete trials' scores against the chosen field (a list's values by position)."""
        name = self.axis_field.currentText()
        points = [(r.params.get(name), r.value) for r in self.rows
                  if getattr(r, "value", None) is not None and name in r.params]
        numeric = all(isinstance(x, (int, float)) for x, _ in points)
        choices = sorted({str(x) for x, _ in points})
        xs = [float(x) for x, _ in points] if numeric else [choices.index(str(x)) for x, _ in points]
        log = numeric and bool(xs) and min(xs) > 0 and max(xs) / min(xs) > 20
        self.scatter.setData([math.log10(x) if log else x for x in xs], [v for _, v in points],
                             brush=pg.mkBrush("#2e7d32"))
        self.plot.setLabel("bottom", f"log10 {name}" if log else name if numeric else f"{name}: {', '.join(choices)}")
