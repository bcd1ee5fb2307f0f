"""Planning a grid sweep: a base (a preset, a built-in study with its own axes, or a stored run's
config), fields with their value lists, every value checked as the form checks it, the number of
runs and a time estimate. The plan is a grid study's (`core.sweeps.study_store.make_plan`: the
grid sampler, no pruner), as `sweep --set` makes it.

The parsing, checking and estimating are the core's (`core.sweeps`); this widget only shows
them. The estimate reads stored runs' speed, or probes a few training steps in a background
thread, so typing never waits on torch.
"""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
)

from workbench.core.config import ConfigError, TrainConfig, field_specs
from workbench.core.presets import DEFAULT_PRESET, PRESETS, preset_config
from workbench.core.store.runs import RunStore
from workbench.core.store.status import RunStatus
from workbench.core.sweeps import STUDIES, scored_base
from workbench.core.sweeps.study_store import StudyPlan, grid_configs, make_plan
from workbench.gui.formatting import escape_html, format_duration
from workbench.gui.layout import Panel
from workbench.gui.sweeps.messages import plan_hint, problem_text, row_problems, values_placeholder

RECENT_RUNS = 30  # runs offered as a base, newest first
ESTIMATE_DELAY_MS = 400  # wait for typing to pause before measuring


class _EstimateBridge(QObject):
    """Carries an estimate from its thread to the GUI thread (a queued signal)."""

    done = Signal(int, object, str)  # generation, seconds or None, how


class SweepEditor(Panel):
    """`changed` fires whenever the plan (base, fields, values) changes; `plan()` is then the
    validated grid study plan, or None with `errors()` saying why."""

    changed = Signal()

    def __init__(self, store: RunStore | None = None, parent=None):
        super().__init__(parent)
        self.store = store or RunStore()
        self.specs = field_specs()
        self._plan = None
        self._errors: list[str] = []
        self._generation = 0
        self._estimating: threading.Thread | None = None
        self._quitting = threading.Event()
        self._bridge = _EstimateBridge(self)
        self._bridge.done.connect(self._on_estimate)
        self._estimate_timer = QTimer(self, singleShot=True, interval=ESTIMATE_DELAY_MS)
        self._estimate_timer.timeout.connect(self._start_estimate)

        self.base_combo = QComboBox(self)
        self.base_combo.setObjectName("sweepBase")
        self.base_combo.setToolTip("The config every run starts from; the fields below change it. A built-in "
                                   "study brings its own fields and values too.")
        self.base_combo.currentIndexChanged.connect(self.revalidate)
        self.name_edit = QLineEdit(self)
        self.name_edit.setObjectName("sweepName")
        self.name_edit.setPlaceholderText("(base and time)")

        self.fields_table = QTableWidget(0, 2, self)
        self.fields_table.setObjectName("sweepFields")
        self.fields_table.setHorizontalHeaderLabels(["Field", "Values (comma-separated)"])
        self.fields_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.fields_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.fields_table.verticalHeader().hide()
        self.add_button = QPushButton("Add field", self)
        self.add_button.setObjectName("sweepAddField")
        self.add_button.clicked.connect(lambda: self.add_field())
        self.remove_button = QPushButton("Remove field", self)
        self.remove_button.setObjectName("sweepRemoveField")
        self.remove_button.clicked.connect(self.remove_selected_field)

        self.errors_label = QLabel(self)
        self.errors_label.setObjectName("sweepErrors")
        self.errors_label.setWordWrap(True)
        self.errors_label.setStyleSheet("color: #b00;")
        self.summary_label = QLabel(self)
        self.summary_label.setObjectName("sweepSummary")
        self.summary_label.setWordWrap(True)
        self.estimate_label = QLabel(self)
        self.estimate_label.setObjectName("sweepEstimate")
        self.estimate_label.setStyleSheet("color: #555;")

        form = QFormLayout()
        form.addRow("Base", self.base_combo)
        form.addRow("Name", self.name_edit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.fields_table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.errors_label)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.estimate_label)
        self.refresh_bases()

    # ---- the base --------------------------------------------------------------------------
    def refresh_bases(self) -> None:
        """Presets first (the default selected), the built-in studies, then the newest stored runs' configs."""
        current = self.base_combo.currentData()
        self.base_combo.blockSignals(True)
        self.base_combo.clear()
        for name in [DEFAULT_PRESET] + [n for n in PRESETS if n != DEFAULT_PRESET]:
            self.base_combo.addItem(f"preset: {name}", f"preset:{name}")
        for study in STUDIES.values():
            self.base_combo.addItem(f"study: {study.name}", f"study:{study.name}")
            self.base_combo.setItemData(self.base_combo.count() - 1, study.description, 3)  # Qt.ToolTipRole
        summaries = sorted(self.store.summaries(), key=lambda s: s.created, reverse=True)[:RECENT_RUNS]
        for s in summaries:
            if s.status is not RunStatus.DAMAGED:
                self.base_combo.addItem(f"run: {s.name} ({s.id})", f"run:{s.id}")
        index = self.base_combo.findData(current) if current else -1
        self.base_combo.setCurrentIndex(max(index, 0))
        self.base_combo.blockSignals(False)
        self.revalidate()

    def set_base(self, kind: str, key: str) -> bool:
        index = self.base_combo.findData(f"{kind}:{key}")
        if index >= 0:
            self.base_combo.setCurrentIndex(index)
        return index >= 0

    def base(self) -> tuple[TrainConfig, str, list[str]]:
        """(base config, what to name the sweep after, a built-in study's axes as --set texts);
        raises ConfigError/OSError for an unreadable run."""
        kind, _, key = (self.base_combo.currentData() or f"preset:{DEFAULT_PRESET}").partition(":")
        if kind == "preset":
            return preset_config(key), key, []
        if kind == "study":
            study = STUDIES[key]
            return TrainConfig.from_dict(study.base_values()), study.name, study.set_texts()
        run = self.store.get(key)
        return run.config(), run.read_info().preset or "custom", []

    # ---- the fields ------------------------------------------------------------------------
    def add_field(self, name: str | None = None, values: str = "") -> int:
        row = self.fields_table.rowCount()
        self.fields_table.insertRow(row)
        combo = QComboBox(self.fields_table)
        combo.setObjectName(f"sweepField{row}")
        for field_name, spec in self.specs.items():
            combo.addItem(field_name, field_name)
            combo.setItemData(combo.count() - 1, f"{spec.label}: {spec.help} Allowed: {spec.allowed()}.",
                              3)  # Qt.ToolTipRole
        used = {self.field_name(r) for r in range(row)}
        name = name or next(n for n in ("batch_size", "lr_g", "lr_d", "latent_size", *self.specs) if n not in used)
        combo.setCurrentIndex(max(combo.findData(name), 0))
        edit = QLineEdit(values, self.fields_table)
        edit.setObjectName(f"sweepValues{row}")
        edit.setPlaceholderText(values_placeholder(self.specs[combo.currentData()].kind))
        combo.currentIndexChanged.connect(
            lambda _index: edit.setPlaceholderText(values_placeholder(self.specs[combo.currentData()].kind)))
        combo.currentIndexChanged.connect(self.revalidate)
        edit.textChanged.connect(self.revalidate)
        self.fields_table.setCellWidget(row, 0, combo)
        self.fields_table.setCellWidget(row, 1, edit)
        self.revalidate()
        return row

    def remove_selected_field(self) -> None:
        rows = sorted({i.row() for i in self.fields_table.selectedIndexes()}, reverse=True)
        for row in rows or [self.fields_table.rowCount() - 1]:
            if row >= 0:
                self.fields_table.removeRow(row)
        self.revalidate()

    def field_name(self, row: int) -> str:
        return self.fields_table.cellWidget(row, 0).currentData()

    def values_edit(self, row: int) -> QLineEdit:
        return self.fields_table.cellWidget(row, 1)

    def set_values(self, row: int, text: str) -> None:
        self.values_edit(row).setText(text)

    def rows(self) -> list[tuple[str, str]]:
        """(field, values text) of every row of the table."""
        return [(self.field_name(r), self.values_edit(r).text()) for r in range(self.fields_table.rowCount())]

    # ---- validation --------------------------------------------------------------------------
    def plan(self) -> StudyPlan | None:
        """The grid study's plan when valid, else None; its name is the base's and the time of
        the last check (the view names the study when it starts it)."""
        return self._plan

    def errors(self) -> list[str]:
        return list(self._errors)

    def name(self) -> str | None:
        return self.name_edit.text().strip() or None

    def revalidate(self, *_args) -> None:
        rows = self.rows()
        fixed = self._fixed_texts()
        hint = plan_hint(rows, bool(fixed))
        self._plan, self._errors = None, row_problems(rows)
        filled = [(name, values) for name, values in rows if values.strip()]
        if (filled or fixed) and not self._errors:
            self._check(filled)  # the rows typed so far are checked while others still wait for values
            if hint:
                self._plan = None
        self.errors_label.setText("<br>".join(escape_html(e) for e in self._errors))
        self.errors_label.setVisible(bool(self._errors))
        if self._plan:
            plan = self._plan
            scored = f"; each scored on {plan.base.eval_samples} samples" if plan.base.eval_samples else ""
            self.summary_label.setText(f"<b>{plan.trials} runs</b> of {plan.base.epochs} epochs"
                                       f" ({' × '.join(escape_html(d.text) for d in plan.space)}){scored}")
            self.estimate_label.setText("Estimating time…")
            self._estimate_timer.start()
        else:
            self.summary_label.setText(escape_html(hint))
            self.estimate_label.setText("")
        self.changed.emit()

    def _fixed_texts(self) -> list[str]:
        kind, _, key = (self.base_combo.currentData() or "").partition(":")
        return STUDIES[key].set_texts() if kind == "study" else []

    def _check(self, rows: list[tuple[str, str]]) -> None:
        """The plan from the base and the rows, or the problems with it, in the tab's words."""
        try:
            base, label, fixed = self.base()
        except (ConfigError, OSError, ValueError, LookupError) as e:
            self._errors = [f"Base: {e}"]
            return
        name = f"{label}-{time.strftime('%Y%m%d-%H%M%S')}"
        try:
            self._plan = make_plan(name, scored_base(base), fixed + [f"{n}={values}" for n, values in rows], "grid",
                                   "none", None, lists=True)
        except ConfigError as e:
            self._errors = [problem_text(error, {n for n, _values in rows}) for error in e.errors]

    # ---- time estimate -------------------------------------------------------------------
    def _start_estimate(self) -> None:
        if not self._plan:
            return
        self._generation += 1
        generation, configs = self._generation, [config for _, config in grid_configs(self._plan)]
        store, bridge = self.store, self._bridge

        quitting = self._quitting

        def work():
            from workbench.core.sweeps.estimate import sweep_seconds

            try:
                seconds, how = sweep_seconds(configs, store, cancel=quitting.is_set)
            except Exception as e:  # an estimate must never break the editor
                seconds, how = None, f"could not measure ({type(e).__name__}: {e})"
            if not quitting.is_set():
                bridge.done.emit(generation, seconds, how)

        self._estimating = threading.Thread(target=work, name="sweep-estimate", daemon=True)
        self._estimating.start()

    def stop_estimating(self, timeout: float = 10.0) -> None:
        """End a probe in progress and wait for it: a thread inside torch at interpreter exit aborts."""
        self._quitting.set()
        self._estimate_timer.stop()
        if self._estimating is not None:
            self._estimating.join(timeout)

    def _on_estimate(self, generation: int, seconds, how: str) -> None:
        if generation != self._generation or not self._plan:
            return  # the plan changed since
        self.estimate_label.setText(f"About {format_duration(seconds)} ({how})." if seconds is not None
                                    else f"No time estimate: {how}.")

    def estimate_text(self) -> str:
        return self.estimate_label.text()
