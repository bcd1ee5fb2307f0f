"""The generated config form: presets, inline validation, read-only, folder browsing."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit

from workbench.core.config import field_specs
from workbench.core.presets import PRESETS, preset_config
from workbench.gui.training.form import ConfigForm


@pytest.fixture
def form(qtbot):
    form = ConfigForm()
    qtbot.addWidget(form)
    return form


def test_every_field_has_an_editor_in_its_group(form):
    specs = field_specs()
    assert set(form.editors) == set(specs)
    for name, spec in specs.items():
        widget = QCheckBox if spec.kind == "bool" else QComboBox if spec.kind == "choice" or spec.choices else QLineEdit
        editor = form.findChild(widget, f"field_{name}")
        assert editor is not None, name
        assert spec.help in editor.toolTip() and spec.allowed() in editor.toolTip()
        assert form.group_boxes[spec.group].isAncestorOf(editor)


def test_choosing_a_preset_fills_the_form(form, qtbot):
    combo = form.preset_combo
    assert combo.objectName() == "presetCombo"
    form.set_field("data_dir", "/somewhere/data")
    combo.setCurrentText("dcgan")
    combo.activated.emit(combo.currentIndex())
    assert form.config() == preset_config("dcgan").with_changes(data_dir="/somewhere/data")
    assert form.editors["g_widths"].text() == "128, 64"
    assert form.editors["lr_g"].text() == "0.0002"
    assert "Settings of preset" in form.modified_label.text() and not form.is_modified()
    combo.setCurrentText("mlp-dropout")
    combo.activated.emit(combo.currentIndex())
    assert form.config().dropout == 0.3 and form.config().loss == "bce-logits"
    assert PRESETS["mlp-dropout"].description in form.preset_description.text()


def test_editing_marks_modified_and_reset_restores(form):
    form.choose_preset("dcgan")
    form.set_field("lr_g", "0.00015")
    assert form.config().lr_g == 0.00015, "learning rates are edited exactly"
    assert form.is_modified() and "Modified from <b>dcgan</b>" in form.modified_label.text()
    form.reset_button.click()
    assert form.config() == preset_config("dcgan") and not form.is_modified()


def test_bad_value_is_marked_at_its_field(form, qtbot):
    seen = []
    form.validity_changed.connect(seen.append)
    form.set_field("batch_size", "0")
    assert seen == [False] and not form.is_valid() and form.config() is None
    error = form.error_labels["batch_size"]
    assert not error.isHidden() and "expected a whole number >= 1 and <= 4096" in error.text()
    assert "#d33" in form.editors["batch_size"].styleSheet()
    assert "Fix before starting: Batch size" in form.modified_label.text()
    form.set_field("batch_size", "64")
    assert seen == [False, True] and form.error_labels["batch_size"].isHidden()
    assert form.editors["batch_size"].styleSheet() == ""


def test_cross_field_error_shown_at_the_widths(form):
    form.choose_preset("dcgan")
    form.set_field("g_widths", "128, 64, 32")
    assert "exactly 2 values for architecture dcgan" in form.errors()["g_widths"]
    form.set_field("g_widths", "12x")
    assert "list of whole numbers" in form.errors()["g_widths"]


def test_the_widths_follow_the_size_and_architecture_and_the_channels_the_dataset(form):
    form.choose_preset("cpu-fast")
    form.set_field("image_size", "32")
    assert (form.editors["g_widths"].text(), form.editors["d_widths"].text()) == ("128, 64, 32", "32, 64, 128")
    form.set_field("image_size", "64")
    assert form.config().g_widths == [256, 128, 64, 32] and form.config().d_widths == [32, 64, 128, 256]
    form.set_field("image_size", "28")
    assert form.config().g_widths == [64, 32] and form.config().d_widths == [32, 64]
    form.set_field("architecture", "dcgan-small")
    assert form.config().g_widths == [128, 64, 32]
    form.set_field("dataset", "cifar10")
    assert form.editors["channels"].currentText() == "3" and form.is_valid()
    form.set_field("architecture", "dcgan")
    form.set_field("image_size", "32")
    assert form.config().g_widths == [128, 64, 32]
    form.set_field("g_widths", "64, 32")  # typed by the user: refused with an example, not changed
    assert form.errors()["g_widths"] == ("64, 32 is not allowed: expected exactly 3 values for architecture dcgan "
                                         "at image_size 32, e.g. 128,64,32")


def test_a_chosen_folder_of_colour_images_makes_a_colour_run(form, monkeypatch, tmp_path):
    from helpers.image_files import write_images

    write_images(tmp_path / "grey", 3, modes=("L",))
    write_images(tmp_path / "colour", 3, modes=("L", "RGB"))
    form.choose_preset("cpu-fast")
    form.set_field("dataset", "folder")
    for folder, channels in (("colour", "3"), ("grey", "1")):
        monkeypatch.setattr(form, "ask_folder", lambda start, f=folder: str(tmp_path / f))
        form.findChild(type(form.reset_button), "browse_image_folder").click()
        assert form.editors["channels"].currentText() == channels, folder


def test_read_only_locks_every_editor(form):
    form.set_read_only(True)
    for editor in form.editors.values():
        assert editor.isReadOnly() if isinstance(editor, QLineEdit) else not editor.isEnabled()
    assert not form.preset_combo.isEnabled() and not form.reset_button.isEnabled()
    form.set_read_only(False)
    assert form.preset_combo.isEnabled() and not form.editors["lr_g"].isReadOnly()


def test_browse_sets_the_data_folder(form, monkeypatch, tmp_path):
    monkeypatch.setattr(form, "ask_folder", lambda start: str(tmp_path))
    form.findChild(type(form.reset_button), "browse_data_dir").click()
    assert form.config().data_dir == str(tmp_path)


def test_folder_preset_asks_for_a_folder_then_keeps_it_across_presets(form, monkeypatch, tmp_path):
    form.choose_preset("folder-dcgan64")
    assert not form.is_valid() and "--image-folder" in form.errors()["image_folder"]
    assert form.editors["channels"].currentText() == "3" and form.editors["image_size"].currentText() == "64"
    monkeypatch.setattr(form, "ask_folder", lambda start: str(tmp_path))
    form.findChild(type(form.reset_button), "browse_image_folder").click()
    config = form.config()
    assert config.image_folder == str(tmp_path) and (config.channels, config.image_size) == (3, 64)
    assert not form.is_modified()  # where the images are is the user's, not a change to the preset
    form.choose_preset("cifar10-dcgan")
    assert form.config().image_folder == str(tmp_path) and form.config().dataset == "cifar10"
    form.set_field("channels", "1")
    assert "3 for dataset cifar10" in form.errors()["channels"]


def test_set_config_selects_matching_preset_and_run_details(form):
    form.set_config(preset_config("dcgan-small").with_changes(epochs=3))
    assert form.preset_name() == "dcgan-small"
    assert form.config().epochs == 3 and form.is_modified()
    form.set_run_details("trial", "lower lr")
    assert (form.run_name(), form.run_notes()) == ("trial", "lower lr")


def test_disk_space_estimate_follows_keep_checkpoint_every(form, qtbot):
    import torch  # noqa: F401  (the window loads it in the background; the estimate counts weights)

    from workbench.core.store.disk_space import estimate_for_config

    form.choose_preset("dcgan")
    label = form.findChild(type(form.disk_label), "diskEstimate")
    assert label is form.disk_label and "2 checkpoint files" in label.text()
    editor = form.editors["keep_checkpoint_every"]
    editor.setText("1")
    editor.textEdited.emit("1")
    expected = estimate_for_config(preset_config("dcgan").with_changes(keep_checkpoint_every=1))
    assert label.text() == f"Disk space: {expected.describe()}" and "12 checkpoint files" in label.text()
    editor.setText("x")
    editor.textEdited.emit("x")
    assert label.text() == ""
