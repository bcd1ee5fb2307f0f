"""The app settings a user tunes from the window: when a run is flagged "possible mode
collapse". Stored in the app's settings.json, shared with `gan-workbench settings`."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QWidget,
)

from workbench.core.evaluation.class_balance import (
    MAX_SHARE_SETTING,
    MIN_BALANCE_SETTING,
    CollapseThresholds,
    save_collapse_setting,
)


class CollapseSettingsDialog(QDialog):
    """Two thresholds: class balance below X, or one class above Y of the samples."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Mode-collapse thresholds")
        current = CollapseThresholds.from_settings()
        self.balance = self._spin(current.min_class_balance, "collapseClassBalance")
        self.share = self._spin(current.max_share, "collapseShare")
        explain = QLabel("A run's samples are flagged <b>possible mode collapse</b> when the class balance "
                         "(1.0 = every class equally often) falls below the first value, or one class takes "
                         "more than the second share of them.", self)
        explain.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
                                   | QDialogButtonBox.StandardButton.RestoreDefaults, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(self.restore_defaults)
        form = QFormLayout(self)
        form.addRow(explain)
        form.addRow("Flag when class balance is below", self.balance)
        form.addRow("or one class takes more than", self.share)
        form.addRow(buttons)

    def _spin(self, value: float, name: str) -> QDoubleSpinBox:
        spin = QDoubleSpinBox(self)
        spin.setObjectName(name)
        spin.setRange(0.0, 1.0)
        spin.setSingleStep(0.05)
        spin.setDecimals(2)
        spin.setValue(value)
        return spin

    def restore_defaults(self) -> None:
        default = CollapseThresholds()
        self.balance.setValue(default.min_class_balance)
        self.share.setValue(default.max_share)

    def thresholds(self) -> CollapseThresholds:
        return CollapseThresholds(self.balance.value(), self.share.value())

    def accept(self) -> None:
        save_collapse_setting(MIN_BALANCE_SETTING, self.balance.value())
        save_collapse_setting(MAX_SHARE_SETTING, self.share.value())
        super().accept()
