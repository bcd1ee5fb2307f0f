"""The hyperparameter form, generated from `TrainConfig`'s field metadata.

Nothing here names a config field: labels, groups, tooltips, editors and error messages all
come from `field_specs()`, so a field added to the core appears in the form by itself.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from workbench.core import geometry
from workbench.core.config import GROUPS, FieldError, TrainConfig, coerce, field_specs
from workbench.core.presets import (
    DEFAULT_PRESET,
    PRESETS,
    matching_preset,
    preset_config,
)
from workbench.gui.formatting import field_problem

ERROR_STYLE = "border: 1px solid #d33; border-radius: 2px; background: #fff4f4;"
#: where data lives and logging are the user's, not the preset's
KEEP_ON_PRESET = ("data_dir", "image_folder", "tensorboard")
#: fields whose change carries others along (`_follow`); the image folder's when chosen with Browse…
CARRY_ALONG = geometry.WIDTHS_FOLLOW


def _text_of(kind: str, value) -> str:
    if kind == "int_list":
        return ", ".join(str(v) for v in value)
    if kind == "bool":
        return "true" if value else "false"
    if kind == "float":
        return repr(float(value)) if not float(value).is_integer() else f"{float(value):g}"
    return str(value)


class ConfigForm(QWidget):
    """Preset picker, one editor per config field (objectName `field_<name>`), run name/notes.

    `changed` fires on every edit; `validity_changed(bool)` when the form becomes valid/invalid.
    """

    changed = Signal()
    validity_changed = Signal(bool)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.specs = field_specs()
        self.editors: dict[str, QWidget] = {}
        self.error_labels: dict[str, QLabel] = {}
        self._errors: dict[str, str] = {}
        self._valid = True
        self._loading = False
        self._read_only = False

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)

        # preset picker
        preset_box = QGroupBox("Preset", self)
        preset_layout = QVBoxLayout(preset_box)
        row = QHBoxLayout()
        self.preset_combo = QComboBox(preset_box)
        self.preset_combo.setObjectName("presetCombo")
        for name, preset in PRESETS.items():
            self.preset_combo.addItem(name)
            self.preset_combo.setItemData(self.preset_combo.count() - 1, preset.description,
                                          Qt.ItemDataRole.ToolTipRole)
        self.preset_combo.activated.connect(self._on_preset_chosen)
        self.reset_button = QPushButton("Reset to preset", preset_box)
        self.reset_button.setObjectName("resetButton")
        self.reset_button.setToolTip("Put every field back to the chosen preset's value")
        self.reset_button.clicked.connect(self.reset_to_preset)
        row.addWidget(self.preset_combo, 1)
        row.addWidget(self.reset_button)
        preset_layout.addLayout(row)
        self.preset_description = QLabel(preset_box)
        self.preset_description.setWordWrap(True)
        self.preset_description.setStyleSheet("color: #555;")
        self.modified_label = QLabel(preset_box)
        self.modified_label.setObjectName("modifiedLabel")
        preset_layout.addWidget(self.preset_description)
        preset_layout.addWidget(self.modified_label)
        layout.addWidget(preset_box)

        # run name and notes (not TrainConfig fields; they go to RunStore.create)
        run_box = QGroupBox("Run", self)
        run_form = QFormLayout(run_box)
        self.name_edit = QLineEdit(run_box)
        self.name_edit.setObjectName("runName")
        self.name_edit.setPlaceholderText("automatic: preset and time")
        self.notes_edit = QPlainTextEdit(run_box)
        self.notes_edit.setObjectName("runNotes")
        self.notes_edit.setPlaceholderText("What is this run trying?")
        self.notes_edit.setFixedHeight(54)
        run_form.addRow("Name", self.name_edit)
        run_form.addRow("Notes", self.notes_edit)
        layout.addWidget(run_box)

        # generated field groups
        self.group_boxes: dict[str, QGroupBox] = {}
        for group in GROUPS:
            box = QGroupBox(group, self)
            form = QFormLayout(box)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            self.group_boxes[group] = box
            layout.addWidget(box)
        for name, spec in self.specs.items():
            box = self.group_boxes.get(spec.group) or self._extra_group(spec.group)
            editor, holder = self._make_editor(name, spec)
            error = QLabel(box)
            error.setObjectName(f"error_{name}")
            error.setWordWrap(True)
            error.setStyleSheet("color: #c22; font-size: 11px;")
            error.hide()
            cell = QWidget(box)
            cell_layout = QVBoxLayout(cell)
            cell_layout.setContentsMargins(0, 0, 0, 0)
            cell_layout.setSpacing(1)
            cell_layout.addWidget(holder)
            cell_layout.addWidget(error)
            if name == "keep_checkpoint_every":
                self.disk_label = QLabel(box)
                self.disk_label.setObjectName("diskEstimate")
                self.disk_label.setWordWrap(True)
                self.disk_label.setStyleSheet("color: #555; font-size: 11px;")
                cell_layout.addWidget(self.disk_label)
            if name == "tensorboard":
                self.tensorboard_label = QLabel(box)
                self.tensorboard_label.setObjectName("tensorboardNote")
                self.tensorboard_label.setWordWrap(True)
                self.tensorboard_label.setStyleSheet("color: #8d6e00; font-size: 11px;")
                self.tensorboard_label.hide()
                cell_layout.addWidget(self.tensorboard_label)
            label = QLabel(spec.label, box)
            tip = f"<b>{spec.label}</b><br>{spec.help}<br><i>Allowed: {spec.allowed()}</i>"
            label.setToolTip(tip)
            editor.setToolTip(tip)
            box.layout().addRow(label, cell)
            self.editors[name] = editor
            self.error_labels[name] = error
        layout.addStretch(1)

        self._preset_name = DEFAULT_PRESET if DEFAULT_PRESET in PRESETS else next(iter(PRESETS))
        self.set_config(preset_config(self._preset_name), preset=self._preset_name)

    # ---- building ---------------------------------------------------------------------
    def _extra_group(self, group: str) -> QGroupBox:
        box = QGroupBox(group, self)
        QFormLayout(box)
        self.group_boxes[group] = box
        self.layout().insertWidget(self.layout().count() - 1, box)
        return box

    def _make_editor(self, name: str, spec) -> tuple[QWidget, QWidget]:
        """The editor for one field, and the widget that holds it (editor + browse button)."""
        if spec.kind == "choice" or spec.choices:  # numbers with a few allowed values too
            editor = QComboBox(self)
            editor.addItems(list(spec.choices))
            if name in CARRY_ALONG:  # first, so the form is validated once, with what follows
                editor.currentTextChanged.connect(lambda _text, n=name: self._follow(n))
            editor.currentTextChanged.connect(self._on_edited)
        elif spec.kind == "bool":
            editor = QCheckBox(self)
            editor.toggled.connect(self._on_edited)
        else:
            editor = QLineEdit(self)
            editor.textEdited.connect(self._on_edited)
            if spec.kind == "int_list":
                editor.setPlaceholderText("e.g. 128, 64")
            elif spec.kind == "text":
                editor.setPlaceholderText("default")
        editor.setObjectName(f"field_{name}")
        if spec.kind == "text" and name.endswith(("_dir", "_folder")):
            holder = QWidget(self)
            row = QHBoxLayout(holder)
            row.setContentsMargins(0, 0, 0, 0)
            row.addWidget(editor, 1)
            browse = QPushButton("Browse…", holder)
            browse.setObjectName(f"browse_{name}")
            browse.clicked.connect(lambda _=False, n=name: self._browse_folder(n))
            row.addWidget(browse)
            return editor, holder
        return editor, editor

    def _browse_folder(self, name: str) -> None:
        folder = self.ask_folder(self.editors[name].text())
        if folder:
            self.editors[name].setText(folder)
            self._follow(name)
            self._on_edited()

    def ask_folder(self, start: str) -> str:
        """The folder dialog; a method so tests can replace it."""
        return QFileDialog.getExistingDirectory(self, "Choose a folder", start)

    # ---- values -----------------------------------------------------------------------
    def raw_values(self) -> dict[str, str]:
        """What each editor holds, as text."""
        out = {}
        for name, editor in self.editors.items():
            if isinstance(editor, QCheckBox):
                out[name] = "true" if editor.isChecked() else "false"
            else:
                out[name] = editor.currentText() if isinstance(editor, QComboBox) else editor.text()
        return out

    def _put(self, name: str, text: str) -> None:
        """Show `text` in a field's editor, whatever kind of editor it is."""
        editor = self.editors[name]
        if isinstance(editor, QComboBox):
            editor.setCurrentText(text)
        elif isinstance(editor, QCheckBox):
            try:
                editor.setChecked(coerce(name, text))
            except FieldError:
                pass
        else:
            editor.setText(text)

    def set_config(self, config: TrainConfig, preset: str | None = None) -> None:
        """Fill every editor from `config`; `preset` (or the matching one) becomes the reference."""
        preset = preset if preset in PRESETS else matching_preset(config)
        self._loading = True
        try:
            if preset:
                self._preset_name = preset
                self.preset_combo.setCurrentText(preset)
            values = config.to_dict()
            for name in self.editors:
                self._put(name, _text_of(self.specs[name].kind, values[name]))
        finally:
            self._loading = False
        self._revalidate()

    def set_field(self, name: str, text: str) -> None:
        """Set one editor as if typed (used by tests and by restoring UI state)."""
        self._put(name, text)
        self._on_edited()

    def config(self) -> TrainConfig | None:
        """The form as a valid TrainConfig, or None while any field is invalid."""
        config, errors = self._parse()
        return config if not errors else None

    def errors(self) -> dict[str, str]:
        """Field name → message for every invalid field."""
        return dict(self._errors)

    def is_valid(self) -> bool:
        return self._valid

    def preset_name(self) -> str:
        return self._preset_name

    def is_modified(self) -> bool:
        config = self.config()
        return config is None or not self._same_as_preset(config)

    def run_name(self) -> str:
        return self.name_edit.text().strip()

    def run_notes(self) -> str:
        return self.notes_edit.toPlainText().strip()

    def set_run_details(self, name: str = "", notes: str = "") -> None:
        self.name_edit.setText(name)
        self.notes_edit.setPlainText(notes)

    def set_read_only(self, read_only: bool) -> None:
        """Lock the form while a run trains (the config of a running run cannot change)."""
        self._read_only = read_only
        for editor in self.editors.values():
            if isinstance(editor, QLineEdit):
                editor.setReadOnly(read_only)
            else:
                editor.setEnabled(not read_only)
        for button in self.findChildren(QPushButton):
            button.setEnabled(not read_only)
        self.preset_combo.setEnabled(not read_only)
        self.name_edit.setReadOnly(read_only)
        self.notes_edit.setReadOnly(read_only)

    def is_read_only(self) -> bool:
        return self._read_only

    # ---- presets ----------------------------------------------------------------------
    def choose_preset(self, name: str) -> None:
        """Fill the form with preset `name`, keeping the user's data folder."""
        keep = {k: v for k, v in self.raw_values().items() if k in KEEP_ON_PRESET}
        self._preset_name = name
        self.set_config(preset_config(name), preset=name)
        self._loading = True
        for key, text in keep.items():
            self._put(key, text)
        self._loading = False
        self._revalidate()

    def reset_to_preset(self) -> None:
        self.choose_preset(self._preset_name)

    def _on_preset_chosen(self, index: int) -> None:
        self.choose_preset(self.preset_combo.itemText(index))

    def _same_as_preset(self, config: TrainConfig) -> bool:
        mine = {k: v for k, v in config.to_dict().items() if k not in KEEP_ON_PRESET}
        theirs = {k: v for k, v in PRESETS[self._preset_name].config.to_dict().items() if k not in KEEP_ON_PRESET}
        return mine == theirs

    def refresh_disk_estimate(self, config: TrainConfig | None = None) -> None:
        """The disk space the run will need, beside "Keep checkpoint every". Counting weights
        needs PyTorch, which the window loads in the background: until then it says so."""
        config = config if config is not None else self._parse()[0]
        if config is None:
            self.disk_label.setText("")
        elif "torch" not in sys.modules:
            self.disk_label.setText("Disk space estimate: after PyTorch has loaded")
        else:
            from workbench.core.store.disk_space import estimate_for_config

            self.disk_label.setText(f"Disk space: {estimate_for_config(config).describe()}")

    def refresh_tensorboard_note(self, config: TrainConfig | None) -> None:
        """Ticked without the extra installed: say so now, not after the run has started."""
        from workbench.core.training.tensorboard_log import MISSING_MESSAGE, available

        missing = config is not None and config.tensorboard and not available()
        self.tensorboard_label.setText(MISSING_MESSAGE if missing else "")
        self.tensorboard_label.setVisible(bool(missing))

    # ---- validation -------------------------------------------------------------------
    def _parse(self) -> tuple[TrainConfig | None, dict[str, str]]:
        values, errors = {}, {}
        for name, text in self.raw_values().items():
            try:
                values[name] = coerce(name, text)
            except FieldError as e:
                errors[name] = field_problem(e)
        if errors:
            return None, errors
        config = TrainConfig(**values)
        for e in config.validate():
            errors.setdefault(e.field, field_problem(e))
        return (None if errors else config), errors

    def _follow(self, name: str) -> None:
        """After an edit of `name`, show what it carries along (`geometry.follow`): the widths a
        new size or architecture needs, the channels of a dataset of one kind or of the chosen
        folder's images (colour when any is)."""
        if self._loading:
            return
        values = {}
        for field_name, text in self.raw_values().items():
            try:
                values[field_name] = coerce(field_name, text)
            except FieldError:
                pass
        changes = {name: values.get(name)}
        if values.get("dataset") == geometry.FOLDER_DATASET and name in ("dataset", "image_folder"):
            from workbench.core.data.training_data import with_images_channels

            changes = with_images_channels(values, changes)
        followed = geometry.follow(values | changes, changes)
        self._loading = True
        try:
            for field_name in ("channels", "g_widths", "d_widths"):
                if followed.get(field_name) != values.get(field_name):
                    self._put(field_name, _text_of(self.specs[field_name].kind, followed[field_name]))
        finally:
            self._loading = False

    def _on_edited(self, *_args) -> None:
        if not self._loading:
            self._revalidate()

    def _revalidate(self) -> None:
        config, errors = self._parse()
        self._errors = errors
        for name, editor in self.editors.items():
            label = self.error_labels[name]
            message = errors.get(name)
            editor.setStyleSheet(f"#{editor.objectName()} {{ {ERROR_STYLE} }}" if message else "")
            label.setText(message or "")
            label.setVisible(bool(message))
        if config is None:
            names = ", ".join(self.specs[n].label if n in self.specs else n for n in errors)
            self.modified_label.setText(f"<span style='color:#c22'>Fix before starting: {names}</span>")
        elif self._same_as_preset(config):
            self.modified_label.setText(f"Settings of preset <b>{self._preset_name}</b>")
        else:
            self.modified_label.setText(f"<i>Modified from <b>{self._preset_name}</b></i>")
        self.preset_description.setText(PRESETS[self._preset_name].description)
        self.refresh_disk_estimate(config)
        self.refresh_tensorboard_note(config)
        valid = config is not None
        if valid != self._valid:
            self._valid = valid
            self.validity_changed.emit(valid)
        if not self._loading:
            self.changed.emit()
