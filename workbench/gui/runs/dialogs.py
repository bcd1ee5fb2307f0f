"""The Runs tab's own dialogs: generate options, the generated grid, resume."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout,
)

from workbench.core.runs import RunSummary
from workbench.gui.grid_view import PixelView, array_to_image


class GenerateOptionsDialog(QDialog):
    """How many images and which seed."""

    def __init__(self, parent=None, count: int = 64, seed: int = 0):
        super().__init__(parent)
        self.setWindowTitle("Generate images")
        self.count = QSpinBox(self)
        self.count.setRange(1, 1024)
        self.count.setValue(count)
        self.seed = QSpinBox(self)
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setValue(seed)
        form = QFormLayout(self)
        form.addRow("Images", self.count)
        form.addRow("Seed", self.seed)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


class GeneratedDialog(QDialog):
    """A generated grid, crisp, with Save as PNG (through the core's save_png)."""

    def __init__(self, grid, title: str, default_name: str, parent=None):
        super().__init__(parent)
        self.grid = grid
        self.default_name = default_name
        self.setWindowTitle(title)
        self.view = PixelView(self)
        self.view.set_image(array_to_image(grid))
        save = QPushButton("Save PNG…", self)
        save.clicked.connect(self._save)
        close = QPushButton("Close", self)
        close.clicked.connect(self.accept)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(save)
        row.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addLayout(row)
        self.resize(520, 560)

    def ask_save_path(self) -> str:
        path, _ = QFileDialog.getSaveFileName(self, "Save generated images", self.default_name, "PNG image (*.png)")
        if path and not path.lower().endswith(".png"):
            path += ".png"
        return path

    def save_to(self, path) -> None:
        from workbench.core.sampling import save_png

        save_png(self.grid, Path(path))

    def _save(self) -> None:
        path = self.ask_save_path()
        if path:
            self.save_to(path)


class ResumeDialog(QDialog):
    """Continue a run: to its planned total, or further by N extra epochs."""

    def __init__(self, summary: RunSummary, parent=None):
        super().__init__(parent)
        self.setWindowTitle(f"Resume {summary.name}")
        done, total = summary.epochs_done, summary.epochs_total
        self.extra = QSpinBox(self)
        self.extra.setRange(1 if done >= total else 0, 10000)
        self.extra.setValue(5 if done >= total else 0)
        self.extra.setSuffix(" more epochs")
        text = (f"{done} of {total} epochs are done. Training continues from the latest checkpoint "
                f"to epoch {total}, plus the extra epochs below.")
        label = QLabel(text, self)
        label.setWordWrap(True)
        self.total_label = QLabel(self)
        self.extra.valueChanged.connect(lambda v: self.total_label.setText(f"New total: {total + v} epochs"))
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
