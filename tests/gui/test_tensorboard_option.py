"""The form's TensorBoard checkbox: a generated bool editor, kept across presets, locked while
training, and saying how to install the extra when it is ticked without it."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtWidgets import QCheckBox

from workbench.core.presets import preset_config
from workbench.core.training.tensorboard_log import MISSING_MESSAGE
from workbench.gui.training.form import ConfigForm


@pytest.fixture
def form(qtbot):
    form = ConfigForm()
    qtbot.addWidget(form)
    form.show()
    return form


def test_the_checkbox_sets_the_field_and_survives_a_preset_change(form):
    box = form.findChild(QCheckBox, "field_tensorboard")
    assert box is not None and form.group_boxes["Run"].isAncestorOf(box)
    assert not box.isChecked() and form.config().tensorboard is False
    box.click()
    assert form.config().tensorboard is True
    assert not form.is_modified(), "logging is the user's choice, not a change to the preset"
    form.choose_preset("dcgan")
    assert box.isChecked() and form.config() == preset_config("dcgan").with_changes(tensorboard=True)
    form.set_config(preset_config("mlp-small"))
    assert not box.isChecked(), "a config (a run being resumed) sets it"
    form.set_field("tensorboard", "on")
    assert box.isChecked()
    form.set_read_only(True)
    assert not box.isEnabled()


def test_ticked_without_the_extra_the_form_says_how_to_install_it(form, monkeypatch):
    note = form.tensorboard_label
    form.set_field("tensorboard", "true")
    assert note.isHidden(), "installed: nothing to say"
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # as if not installed
    form.set_field("tensorboard", "false")
    assert note.isHidden(), "not asked for: nothing to say"
    form.set_field("tensorboard", "true")
    assert note.isVisible() and note.text() == MISSING_MESSAGE
    assert "pip install 'gan-workbench[tensorboard]'" in note.text()
    assert form.is_valid(), "the run may still start: it trains without the log"
