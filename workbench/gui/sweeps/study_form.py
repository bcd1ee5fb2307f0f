"""Planning a study: a preset as the base, its epochs, the searched fields (each a log range, a
range or a list), the trial count, sampler, pruner, storage and name. Every problem is shown at
once, as the CLI reports it; the parsing and checking are the core's (`core.sweeps.study_store`).
"""

from __future__ import annotations

import time

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.core.config import ConfigError, field_names
from workbench.core.presets import DEFAULT_PRESET, PRESETS, preset_config
from workbench.core.sweeps.grid import scored_base
from workbench.core.sweeps.study_store import PRUNERS, SAMPLERS, StudyPlan, make_plan
from workbench.gui.formatting import escape_html

#: how a searched field's values are written: the kind → the text before the values
KINDS = {"log range": "log:", "range": "", "list": ""}
PLACEHOLDERS = {"log range": "LOW:HIGH, e.g. 1e-4:3e-3", "range": "LOW:HIGH, e.g. 0:0.5",
                "list": "V1,V2,…, e.g. 32,64,128"}


class StudyForm(QWidget):
    """`changed` whenever the plan changes; `plan()` is the checked plan or None (see `errors`)."""

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.preset = QComboBox(self)
        self.preset.setObjectName("studyPreset")
        self.preset.addItems(list(PRESETS))
        self.preset.setCurrentText(DEFAULT_PRESET)
        self.epochs = QSpinBox(self)
        self.epochs.setObjectName("studyEpochs")
        self.epochs.setRange(1, 1000)
        self.epochs.setValue(3)
        self.batches = QSpinBox(self)
        self.batches.setObjectName("studyBatches")
        self.batches.setRange(0, 100000)
        self.batches.setSpecialValueText("all")
        self.batches.setToolTip("Batches per epoch (max_batches): fewer for a quick look at a search")
        self.space = QTableWidget(0, 3, self)
        self.space.setObjectName("studySpace")
        self.space.setHorizontalHeaderLabels(("Field", "Kind", "Values"))
        self.space.verticalHeader().hide()
        self.space.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.space.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.space.setMinimumHeight(60)
        add, remove = QPushButton("Add field", self), QPushButton("Remove field", self)
        add.clicked.connect(lambda: self.add_field())
        remove.clicked.connect(self._remove_selected)
        self.trials = QSpinBox(self)
        self.trials.setObjectName("studyTrials")
        self.trials.setRange(1, 1000)
        self.trials.setValue(10)
        self.sampler, self.pruner = QComboBox(self), QComboBox(self)
        self.sampler.setObjectName("studySampler")
        self.pruner.setObjectName("studyPruner")
        self.sampler.addItems(list(SAMPLERS))
        self.pruner.addItems(list(PRUNERS))
        self.storage = QLineEdit(self)
        self.storage.setObjectName("studyStorage")
        self.storage.setPlaceholderText("the home's SQLite file; or postgresql://user:pw@host/db")
        self.name = QLineEdit(self)
        self.name.setObjectName("studyName")
        self.name.setPlaceholderText("default: preset and time")
        self.errors_label = QLabel(self)
        self.errors_label.setObjectName("studyErrors")
        self.errors_label.setWordWrap(True)
        self.errors_label.setStyleSheet("color: #c62828")

        form = QFormLayout()
        form.addRow("Base preset", self.preset)
        form.addRow("Epochs per trial", self.epochs)
        form.addRow("Batches per epoch", self.batches)
        form.addRow("Trials", self.trials)
        form.addRow("Sampler", self.sampler)
        form.addRow("Pruner", self.pruner)
        form.addRow("Storage", self.storage)
        form.addRow("Name", self.name)
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(QLabel("Searched fields", self))
        layout.addWidget(self.space, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.errors_label)
        for widget in (self.preset, self.sampler, self.pruner):
            widget.currentIndexChanged.connect(self._changed)
        for widget in (self.epochs, self.batches, self.trials):
            widget.valueChanged.connect(self._changed)
        for widget in (self.storage, self.name):
            widget.textChanged.connect(self._changed)
        self._changed()

    # ---- the searched fields ----------------------------------------------------------------
    def add_field(self, name: str = "lr_g", kind: str = "log range", values: str = "") -> int:
        row = self.space.rowCount()
        self.space.insertRow(row)
        field = QComboBox(self.space)
        field.addItems(field_names())
        field.setCurrentText(name)
        kinds = QComboBox(self.space)
        kinds.addItems(list(KINDS))
        kinds.setCurrentText(kind)
        text = QLineEdit(values, self.space)
        text.setPlaceholderText(PLACEHOLDERS[kind])
        kinds.currentTextChanged.connect(lambda k, t=text: t.setPlaceholderText(PLACEHOLDERS[k]))
        for widget, column in ((field, 0), (kinds, 1), (text, 2)):
            self.space.setCellWidget(row, column, widget)
        field.currentIndexChanged.connect(self._changed)
        kinds.currentIndexChanged.connect(self._changed)
        text.textChanged.connect(self._changed)
        self._changed()
        return row

    def _remove_selected(self) -> None:
        rows = sorted({i.row() for i in self.space.selectedIndexes()} or {self.space.rowCount() - 1}, reverse=True)
        for row in rows:
            if row >= 0:
                self.space.removeRow(row)
        self._changed()

    def space_texts(self) -> list[str]:
        """The rows as the CLI's --space takes them."""
        texts = []
        for row in range(self.space.rowCount()):
            name = self.space.cellWidget(row, 0).currentText()
            kind = self.space.cellWidget(row, 1).currentText()
            values = self.space.cellWidget(row, 2).text().strip()
            texts.append(f"{name}={KINDS[kind]}{values}")
        return texts

    # ---- the plan ------------------------------------------------------------------------------
    def storage_url(self) -> str | None:
        return self.storage.text().strip() or None

    def plan(self) -> StudyPlan:
        """The checked plan; raises ConfigError with every problem."""
        preset = self.preset.currentText()
        base = scored_base(preset_config(preset).with_changes(epochs=self.epochs.value(),
                                                              max_batches=self.batches.value()), [])
        name = self.name.text().strip() or f"{preset}-{time.strftime('%Y%m%d-%H%M%S')}"
        trials = None if self.sampler.currentText() == "grid" else self.trials.value()
        return make_plan(name, base, self.space_texts(), self.sampler.currentText(), self.pruner.currentText(),
                         trials)

    def errors(self) -> list[str]:
        try:
            self.plan()
        except ConfigError as e:
            return [str(error) for error in e.errors]
        return []

    def _changed(self, *_args) -> None:
        self.trials.setEnabled(self.sampler.currentText() != "grid")
        problems = self.errors() if self.space.rowCount() else []
        self.errors_label.setText("<br>".join(escape_html(p) for p in problems))
        self.errors_label.setVisible(bool(problems))
        self.changed.emit()
