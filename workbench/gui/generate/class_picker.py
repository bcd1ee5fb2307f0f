"""The Generate window's class picker, for a conditional run (condition: class): one class, all
classes (a row each, the same latent points in every row), or a morph from one class to another
at fixed latent points (the two classes' embeddings interpolated)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QSpinBox, QWidget

ALL, MORPH = "all", "morph"
MAX_MORPH_STEPS = 64


class ClassPicker(QWidget):
    """`changed` whenever the choice changes; `choice()` is (pick, label, label_b, steps) with
    pick one of class, all, morph (the worker's PICKS)."""

    changed = Signal()

    def __init__(self, classes: list[str], parent=None):
        super().__init__(parent)
        self.classes = list(classes)
        self.which = QComboBox(self)
        self.which.setObjectName("classPick")
        self.which.setToolTip("The class the generator draws; All classes draws a row per class with the same "
                              "latent points; Morph goes from one class to another at fixed latent points")
        for i, name in enumerate(self.classes):
            self.which.addItem(name if name == str(i) else f"{i}: {name}", i)
        self.which.addItem("All classes", ALL)
        self.which.addItem("Morph between two…", MORPH)
        self.morph_from, self.morph_to = (self._class_combo(name) for name in ("morphFrom", "morphTo"))
        self.morph_to.setCurrentIndex(min(1, len(self.classes) - 1))
        self.morph_steps = QSpinBox(self)
        self.morph_steps.setObjectName("morphSteps")
        self.morph_steps.setRange(2, MAX_MORPH_STEPS)
        self.morph_steps.setValue(10)
        self.morph_steps.setToolTip("Images from the first class to the second, both ends included")
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Class", self.which)
        form.addRow("From", self.morph_from)
        form.addRow("To", self.morph_to)
        form.addRow("Steps", self.morph_steps)
        self._form = form
        for signal in (self.which.currentIndexChanged, self.morph_from.currentIndexChanged,
                       self.morph_to.currentIndexChanged, self.morph_steps.valueChanged):
            signal.connect(self._on_change)
        self._show_morph_rows()

    def _class_combo(self, name: str) -> QComboBox:
        combo = QComboBox(self)
        combo.setObjectName(name)
        combo.addItems(self.classes)
        return combo

    def _show_morph_rows(self) -> None:
        morphing = self.which.currentData() == MORPH
        for widget in (self.morph_from, self.morph_to, self.morph_steps):
            self._form.setRowVisible(widget, morphing)

    def _on_change(self, *_args) -> None:
        self._show_morph_rows()
        self.changed.emit()

    def choice(self) -> tuple[str, int, int, int]:
        data = self.which.currentData()
        if data == MORPH:
            return MORPH, self.morph_from.currentIndex(), self.morph_to.currentIndex(), self.morph_steps.value()
        if data == ALL:
            return ALL, 0, 0, 0
        return "class", int(data), 0, 0

    def pick_class(self, label: int) -> None:
        self.which.setCurrentIndex(self.which.findData(label))

    def pick_all(self) -> None:
        self.which.setCurrentIndex(self.which.findData(ALL))

    def pick_morph(self, a: int, b: int, steps: int = 10) -> None:
        self.morph_from.setCurrentIndex(a)
        self.morph_to.setCurrentIndex(b)
        self.morph_steps.setValue(steps)
        self.which.setCurrentIndex(self.which.findData(MORPH))
