"""The Runs tab's own dialogs: resume (generating has its own window, `gui.generate_window`)."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QSpinBox, QVBoxLayout

from workbench.core import words
from workbench.core.store.runs import RunSummary


class ResumeDialog(QDialog):
    """Continue a run: to its planned total, or further by N extra epochs."""

    def __init__(self, summary: RunSummary, parent=None):
        super().__init__(parent)
        self.setWindowTitle(f"Resume {summary.name}")
        done, total = summary.epochs_done, summary.epochs_total
        self.extra = QSpinBox(self)
        self.extra.setRange(1 if done >= total else 0, 10000)
        self.extra.setValue(5 if done >= total else 0)
        text = (f"{done} of {words.count(total, 'epoch')} {'is' if done == 1 else 'are'} done. Training continues "
                f"from the latest checkpoint to epoch {total}, plus the extra epochs below.")
        label = QLabel(text, self)
        label.setWordWrap(True)
        self.total_label = QLabel(self)
        self.extra.valueChanged.connect(lambda v: self._count_epochs(total, v))
        self.extra.valueChanged.emit(self.extra.value())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Resume")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.extra)
        layout.addWidget(self.total_label)
        layout.addWidget(buttons)

    def _count_epochs(self, total: int, extra: int) -> None:
        self.extra.setSuffix(" more epoch" if extra == 1 else " more epochs")
        self.total_label.setText(f"New total: {words.count(total + extra, 'epoch')}")
