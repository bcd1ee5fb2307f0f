"""The fork dialog: a new run from a kept epoch of a run, with some optimisation fields changed
(`core.store.forking`). It lists every field a fork can change beside the parent's value, can
open prefilled with a config delta, and on "Fork and train" either makes the fork or shows every
problem (each naming its field) and writes nothing.

To open it from elsewhere (the doctor's "Try this" passes its suggestion's config delta):

    fork = ForkDialog.ask(parent_widget, run_id, epoch, changes)   # the new Run, or None

`epoch` is a number, "latest" or "best"; `changes` a dict {field: value}. The dialog only makes
the fork; the caller trains it (the Runs tab hands it to the training view as it does a resumed
run: `TrainingView.resume_run(fork)`).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from workbench.core.config import ConfigError, field_specs
from workbench.core.store.best_epoch import read_best
from workbench.core.store.checkpoints import CheckpointError
from workbench.core.store.epoch_checkpoints import epoch_checkpoints
from workbench.core.store.forking import CHANGEABLE, ForkError, fork_run, plan_fork
from workbench.core.store.runs import Run, RunNotFound, RunStore
from workbench.gui.formatting import escape_html


def _text(value) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


class ForkDialog(QDialog):
    """Fork `run` at `epoch` (a number, "latest" or "best"), `changes` prefilled. Raises
    ConfigError or CheckpointError when the run cannot be forked at all (unreadable config, no
    checkpoint)."""

    def __init__(self, run: Run, epoch: int | str = "latest", changes: dict | None = None,
                 store: RunStore | None = None, parent=None):
        super().__init__(parent)
        self.run, self.store = run, store or RunStore(run.path.parent)
        self.fork: Run | None = None
        self.parent_values = run.config().to_dict()
        name = run.summary().name
        self.setWindowTitle(f"Fork {name}")
        points = [e for e, c in epoch_checkpoints(run).items() if not c.mid_epoch]
        if not points:
            raise CheckpointError(f"Run {run.id} has no epoch checkpoint to fork from yet.")
        best = read_best(run.checkpoints_dir)
        wanted = max(points) if epoch == "latest" else best.epoch if epoch == "best" and best else epoch
        self.epoch_box = QComboBox(self)
        self.epoch_box.setObjectName("forkEpoch")
        for e in points:
            self.epoch_box.addItem(f"epoch {e}" + (" (best)" if best and best.epoch == e else ""), e)
        lower = [e for e in points if isinstance(wanted, int) and e <= wanted]
        self.epoch_box.setCurrentIndex(points.index(wanted if wanted in points else (lower or points)[-1]))
        intro = QLabel(f"A new run that starts from <b>{escape_html(name)}</b>'s checkpoint at the epoch below, "
                       f"with its networks and optimiser state, and trains on from the next epoch. Its first "
                       f"epochs show the parent's. Only these fields can change (the networks' shape and the "
                       f"data stay the parent's):", self)
        intro.setWordWrap(True)

        self.editors: dict[str, QWidget] = {}
        self.labels: dict[str, QLabel] = {}
        table = QWidget(self)
        grid = QGridLayout(table)
        for column, title in enumerate(("Field", "Parent", "Fork")):
            grid.addWidget(QLabel(f"<b>{title}</b>", table), 0, column)
        specs = field_specs()
        for row, field in enumerate(CHANGEABLE, 1):
            spec, value = specs[field], self.parent_values[field]
            label = QLabel(spec.label, table)
            label.setToolTip(f"{field}: {spec.help} Allowed: {spec.allowed()}.")
            editor = self._editor(field, spec, value, table)
            grid.addWidget(label, row, 0)
            grid.addWidget(QLabel(_text(value), table), row, 1)
            grid.addWidget(editor, row, 2)
            self.editors[field], self.labels[field] = editor, label
        scroll = QScrollArea(self)
        scroll.setWidget(table)
        scroll.setWidgetResizable(True)
        self.name_edit = QLineEdit(self)
        self.name_edit.setObjectName("forkName")
        self.name_edit.setPlaceholderText(f"{name} from epoch …")
        self.problems = QLabel(self)
        self.problems.setObjectName("forkProblems")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #c62828;")
        self.problems.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Fork and train")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.epoch_box)
        layout.addWidget(scroll, 1)
        layout.addWidget(QLabel("Name of the fork:", self))
        layout.addWidget(self.name_edit)
        layout.addWidget(self.problems)
        layout.addWidget(buttons)
        self.resize(560, 640)

        changes = dict(changes or {})
        self.other_changes = {k: v for k, v in changes.items() if k not in self.editors}  # refused: named on accept
        for field, value in changes.items():
            if field in self.editors:
                self.set_value(field, value)
        if isinstance(wanted, int) and wanted not in points:
            self.show_problems([f"epoch: {wanted} has no checkpoint in this run (epochs with one: "
                                f"{', '.join(map(str, points))}); an inherited epoch forks from the parent"])

    def _editor(self, field: str, spec, value, parent) -> QWidget:
        if spec.kind == "bool":
            editor = QCheckBox(parent)
            editor.setChecked(bool(value))
            editor.toggled.connect(lambda _on: self._mark(field))
        elif spec.kind == "choice":
            editor = QComboBox(parent)
            editor.addItems(list(spec.choices))
            editor.setCurrentText(str(value))
            editor.currentTextChanged.connect(lambda _t: self._mark(field))
        else:
            editor = QLineEdit(_text(value), parent)
            editor.textChanged.connect(lambda _t: self._mark(field))
        editor.setObjectName(f"fork_{field}")
        return editor

    # ---- values ------------------------------------------------------------------------------
    def value(self, field: str):
        editor = self.editors[field]
        if isinstance(editor, QCheckBox):
            return editor.isChecked()
        return editor.currentText() if isinstance(editor, QComboBox) else editor.text().strip()

    def set_value(self, field: str, value) -> None:
        editor = self.editors[field]
        if isinstance(editor, QCheckBox):
            editor.setChecked(value in (True, "true", "on", "yes", "1", 1))
        elif isinstance(editor, QComboBox):
            editor.setCurrentText(str(value))
        else:
            editor.setText(_text(value))

    def changes(self) -> dict:
        """The fields whose editor differs from the parent's value (as typed), and any prefilled
        field the dialog has no editor for (the fork refuses those by name)."""
        out = dict(self.other_changes)
        for field in self.editors:
            value = self.value(field)
            if (value if isinstance(value, bool) else str(value)) != (
                    self.parent_values[field] if isinstance(value, bool) else _text(self.parent_values[field])):
                out[field] = value
        return out

    def epoch(self) -> int:
        return int(self.epoch_box.currentData())

    def _mark(self, field: str) -> None:
        font = self.labels[field].font()
        font.setBold(field in self.changes())
        self.labels[field].setFont(font)

    def show_problems(self, problems: list[str]) -> None:
        self.problems.setText("The fork cannot be made:\n• " + "\n• ".join(problems))
        self.problems.show()

    # ---- making it ---------------------------------------------------------------------------
    def accept(self) -> None:
        """Make the fork and close, or stay open naming every problem (nothing is written)."""
        try:
            plan = plan_fork(self.run, self.epoch(), self.changes())
            self.fork = fork_run(self.store, plan, name=self.name_edit.text().strip() or None)
        except ForkError as e:
            self.show_problems(e.problems)
            return
        except (CheckpointError, OSError) as e:
            self.show_problems([str(e)])
            return
        super().accept()

    @classmethod
    def ask(cls, parent: QWidget | None, run_id: str, epoch: int | str = "latest", changes: dict | None = None,
            store: RunStore | None = None) -> Run | None:
        """Open the dialog modally on run `run_id` at `epoch` with `changes` prefilled; returns
        the fork it made, or None (cancelled, or the run cannot be forked: said in a message)."""
        store = store or RunStore()
        try:
            dialog = cls(store.get(run_id), epoch, changes, store, parent)
        except (RunNotFound, ConfigError, CheckpointError) as e:
            QMessageBox.warning(parent, "Cannot fork", str(e))
            return None
        dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
        return dialog.fork if dialog.exec() == QDialog.DialogCode.Accepted else None
