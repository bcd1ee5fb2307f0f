"""The Doctor panel: the training doctor's findings on a run, as a coloured chip per condition
with its evidence, an explanation a learner can read, and a "Try this" button per suggested
change. The training tab feeds it live after every epoch; the Runs details show it for a
stored run. It only shows and forwards: `try_change` carries the change to whoever forks."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from workbench.core.config import ConfigError, TrainConfig
from workbench.core.doctor import Diagnosis, diagnose, diverged_at, unmeasured
from workbench.core.store.runs import Run

#: the chip's colours by severity: (background, text)
CHIP_COLORS = {"problem": ("#c62828", "#ffffff"), "warning": ("#ef6c00", "#ffffff"), "info": ("#1565c0", "#ffffff")}


class WrappedLabel(QLabel):
    """A word-wrapped label that keeps the height its text needs at its width: inside a scroll
    area a plain wrapped label is squeezed to one line."""

    def __init__(self, text: str, parent=None):
        super().__init__(text, parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        needed = self.heightForWidth(self.width())
        if needed > 0 and needed != self.minimumHeight():
            self.setMinimumHeight(needed)


class DoctorPanel(QWidget):
    """The doctor's findings on one run. `set_run` names the run and its config, `set_entries`
    gives its metrics lines (all of them, each time: diagnosing is plain Python over a few
    hundred numbers, done once per epoch, never per batch)."""

    #: "Try this" on a suggestion: (run id, epoch, config delta). `epoch` is the latest epoch the
    #: doctor examined (the run's newest epoch); `changes` maps TrainConfig field names to new
    #: values, already valid for the run's config (e.g. {"lr_d": 0.0001}). Meant for the fork
    #: dialog: fork `run_id` from `epoch` (or the nearest kept epoch) with `changes`.
    try_change = Signal(str, int, dict)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("doctorPanel")
        self.run_id: str | None = None
        self.config: TrainConfig | None = None
        self.diagnoses: list[Diagnosis] = []
        self._entries: list[dict] = []
        self._diverged_at: tuple[int, str] | None = None
        self.title = QLabel("<b>Doctor</b>", self)
        self.summary = QLabel(self)
        self.summary.setObjectName("doctorSummary")
        self.summary.setWordWrap(True)
        self._findings = QWidget(self)
        self._findings_layout = QVBoxLayout(self._findings)
        self._findings_layout.setContentsMargins(0, 0, 0, 0)
        self._findings_layout.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self._findings)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.summary)
        layout.addWidget(scroll, 1)
        self.clear()

    def clear(self) -> None:
        """Forget the run (a new one starts)."""
        self.run_id, self.config, self._entries, self._diverged_at = None, None, [], None
        self._show([])

    def set_run(self, run_id: str, config: TrainConfig) -> None:
        self.run_id, self.config = run_id, config
        self._refresh()

    def set_entries(self, entries: list[dict], diverged_at: tuple[int, str] | None = None) -> None:
        """The run's metrics lines so far; `diverged_at` (epoch, message) when a loss went NaN."""
        self._entries = list(entries)
        self._diverged_at = diverged_at or self._diverged_at
        self._refresh()

    def show_stored(self, run: Run, entries: list[dict]) -> None:
        """A stored run and its metrics lines (the Runs details); a config that does not load is
        said, not diagnosed."""
        try:
            config = run.config()
        except ConfigError as e:
            self.clear()
            self.summary.setText(f"The doctor needs the run's config, which does not load: {e}")
            return
        self.run_id, self.config = run.id, config
        self.set_entries(entries, diverged_at(run, len(entries)))

    def set_diverged(self, epoch: int, message: str) -> None:
        self.set_entries(self._entries, (epoch, message))

    def latest_epoch(self) -> int:
        return max((int(e["epoch"]) for e in self._entries), default=0)

    def _refresh(self) -> None:
        if self.config is None:
            self._show([])
            return
        self._show(diagnose(self._entries, self.config, self._diverged_at))

    def _show(self, diagnoses: list[Diagnosis]) -> None:
        self.diagnoses = diagnoses
        while self._findings_layout.count() > 1:
            widget = self._findings_layout.takeAt(0).widget()
            widget.hide()
            widget.setParent(None)  # out of findChildren now; deleted later (it may be sending a click)
            widget.deleteLater()
        for d in diagnoses:
            self._findings_layout.insertWidget(self._findings_layout.count() - 1, self._finding(d))
        if self.config is None:
            text = "Findings on the run appear here after its first epochs."
        elif diagnoses:
            text = f"{len(diagnoses)} condition(s) in {len(self._entries)} epoch(s)."
        else:
            text = f"No condition found in {len(self._entries)} epoch(s)."
        notes = unmeasured(self._entries, self.config) if self.config is not None else []
        self.summary.setText(" ".join([text, *notes]))

    def _finding(self, d: Diagnosis) -> QWidget:
        box = QFrame(self._findings)
        box.setObjectName(f"finding_{d.condition}")
        box.setFrameShape(QFrame.Shape.StyledPanel)
        box.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)  # scrolls, never squeezed
        layout = QVBoxLayout(box)
        layout.setContentsMargins(6, 4, 6, 4)
        head = QHBoxLayout()
        chip = QLabel(d.info.title, box)
        chip.setObjectName("doctorChip")
        background, colour = CHIP_COLORS[d.info.severity]
        chip.setStyleSheet(f"QLabel {{ background: {background}; color: {colour}; border-radius: 8px; "
                           f"padding: 2px 8px; font-weight: bold; }}")
        chip.setToolTip(d.info.explanation)
        head.addWidget(chip)
        head.addWidget(QLabel(f"from epoch {d.epoch} · {d.confidence:.0%} sure", box), 1)
        layout.addLayout(head)
        for text in (d.evidence, d.info.explanation):
            layout.addWidget(WrappedLabel(text, box))
        for s in d.suggestions:
            row = QHBoxLayout()
            changes = ", ".join(f"{k} = {v:g}" if isinstance(v, float) else f"{k} = {v}"
                                for k, v in s.changes.items())
            row.addWidget(WrappedLabel(f"• {s.label}" + (f"  ({changes})" if changes else ""), box), 1)
            if s.changes:  # stopping needs no fork: the best epoch is already kept
                button = QPushButton("Try this", box)
                button.setObjectName("tryThisButton")
                button.setToolTip(f"Fork this run from epoch {self.latest_epoch()} with {changes}")
                button.clicked.connect(lambda _=False, c=dict(s.changes): self._try(c))
                row.addWidget(button)
            layout.addLayout(row)
        return box

    def _try(self, changes: dict) -> None:
        if self.run_id is not None:
            self.try_change.emit(self.run_id, self.latest_epoch(), dict(changes))
