"""The Doctor panel: live in the training tab (a run with D's learning rate ×10 shows a
condition within its first 2 epochs), "Try this" emits the config delta, and the Runs details
show the same findings for a stored run."""

from __future__ import annotations

import math

import pytest
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QPushButton

from workbench.core.events import Finished
from workbench.core.presets import preset_config
from workbench.core.store.runs import RunStore
from workbench.gui.doctor_panel import DoctorPanel
from workbench.gui.plots.colours import RunPalette
from workbench.gui.runs.details import RunDetails


def chips(panel: DoctorPanel) -> list[str]:
    return [label.text() for label in panel.findChildren(QLabel, "doctorChip") if not label.isHidden()]


@pytest.fixture
def one_thread():
    """Tiny networks train faster on one thread, and far faster on a machine busy with other work."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_a_run_with_d_lr_x10_shows_a_condition_within_two_epochs_and_try_this_emits_it(qtbot, view, data_dir,
                                                                                       one_thread):
    # the dcgan preset (BCE, lr 0.0002) made tiny, with D's learning rate ten times G's
    config = preset_config("dcgan").with_changes(data_dir=data_dir, g_widths=[32, 16], d_widths=[16, 32],
                                                 lr_d=0.002, epochs=2, max_batches=15, device="cpu")
    view.form.set_config(config)
    with qtbot.waitSignal(view.run_started, timeout=5000) as started:
        qtbot.mouseClick(view.start_button, Qt.MouseButton.LeftButton)
    run = started.args[0]
    panel = view.live_view.doctor
    seen = []  # what the panel showed after each epoch, while training (the view feeds it on the GUI thread)
    feed = panel.set_entries

    def watched(entries, diverged_at=None):
        feed(entries, diverged_at)
        seen.append((panel.latest_epoch(), chips(panel)))

    panel.set_entries = watched
    qtbot.waitUntil(lambda: not view.is_training(), timeout=180_000)  # a loaded 2-core machine
    assert isinstance(view.last_final_event(), Finished)
    assert [epoch for epoch, _ in seen] == [1, 2]
    assert "Discriminator winning" in seen[-1][1]  # within the first 2 epochs, shown live
    winning = next(d for d in panel.diagnoses if d.condition == "discriminator_winning")
    assert winning.epoch <= 2 and "D(x)" in winning.evidence

    buttons = panel.findChild(QFrame, "finding_discriminator_winning").findChildren(QPushButton, "tryThisButton")
    assert buttons
    with qtbot.waitSignal(panel.try_change, timeout=2000) as tried:
        qtbot.mouseClick(buttons[0], Qt.MouseButton.LeftButton)
    assert tried.args == [run.id, 2, {"lr_d": 0.001}]  # D's learning rate ÷ 2, from the latest epoch


class OneWindow:
    """What the Runs tab needs of the main window."""

    def add_tab(self, widget, title):
        widget.resize(1300, 850)


def test_try_this_in_the_training_tab_makes_a_fork_that_names_its_parent_and_trains_it(
        qtbot, view, data_dir, one_thread, monkeypatch):
    from workbench.gui.runs.browser import install_runs_tab
    from workbench.gui.runs.fork_dialog import ForkDialog

    config = preset_config("dcgan").with_changes(data_dir=data_dir, g_widths=[32, 16], d_widths=[16, 32],
                                                 lr_d=0.002, epochs=2, max_batches=15, device="cpu")
    browser = install_runs_tab(OneWindow(), view)  # wires both doctors' "Try this" to the fork dialog
    qtbot.addWidget(browser)
    view.form.set_config(config)
    with qtbot.waitSignal(view.run_started, timeout=5000) as started:
        qtbot.mouseClick(view.start_button, Qt.MouseButton.LeftButton)
    parent = started.args[0]
    qtbot.waitUntil(lambda: not view.is_training(), timeout=180_000)
    asked = []

    def accept(dialog):  # the dialog opens with the doctor's change; the user adds an epoch and accepts
        asked.append((dialog.epoch(), dialog.changes()))
        dialog.set_value("epochs", 3)
        dialog.accept()
        return dialog.result()

    monkeypatch.setattr(ForkDialog, "exec", accept)
    button = view.live_view.doctor.findChild(QFrame, "finding_discriminator_winning").findChild(
        QPushButton, "tryThisButton")
    with qtbot.waitSignal(view.run_started, timeout=10_000) as forked:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    fork = forked.args[0]
    assert asked == [(2, {"lr_d": "0.001"})]  # as the dialog shows it, typed text
    assert fork.id != parent.id and fork.read_info().parent == {"run": parent.id, "epoch": 2}
    assert fork.config().lr_d == 0.001
    qtbot.waitUntil(lambda: not view.is_training(), timeout=180_000)
    assert [m["epoch"] for m in fork.metrics().epochs] == [3]


def epoch(e, quality, d_real=0.52, d_fake=0.48) -> dict:
    return {"epoch": e, "d_loss": 1.38, "g_loss": 0.7, "d_real": d_real, "d_fake": d_fake,
            "batch_d_loss": [1.38] * 20, "batch_g_loss": [0.7 + 0.05 * math.sin(i) for i in range(20)],
            "quality": quality, "recall": 0.1, "class_balance": 0.95, "class_hist": [100] * 10}


def test_the_runs_details_show_the_doctor_for_a_stored_run(qtbot):
    run = RunStore().create(preset_config("cpu-fast").with_changes(epochs=5, eval_samples=2000), name="stored")
    for e, q in enumerate((80, 60, 58, 59, 57), 1):
        run.append_metrics(epoch(e, q))
    details = RunDetails(RunPalette())
    qtbot.addWidget(details)
    details.show_run(run)
    panel = details.doctor
    assert details.tabs.tabText(details.tabs.indexOf(panel)) == "Doctor"
    assert chips(panel) == ["Generator fooling a weak D"]
    assert "1 condition(s) in 5 epoch(s)" in panel.summary.text()
    with qtbot.waitSignal(panel.try_change, timeout=2000) as tried:
        panel.findChildren(QPushButton, "tryThisButton")[1].click()
    assert tried.args == [run.id, 5, {"d_steps": 2}]

    healthy = RunStore().create(preset_config("cpu-fast").with_changes(epochs=3), name="unscored")
    for e in (1, 2, 3):
        healthy.append_metrics({k: v for k, v in epoch(e, 1.0, 0.7, 0.3).items() if k != "quality"})
    details.show_run(healthy)
    assert chips(panel) == [] and "No condition found in 3 epoch(s)" in panel.summary.text()


def test_stopping_needs_no_fork_and_a_diverged_run_is_named(qtbot):
    panel = DoctorPanel()
    qtbot.addWidget(panel)
    config = preset_config("cpu-fast").with_changes(eval_samples=2000)
    panel.set_run("run-1", config)
    flat = [epoch(e, q, 0.7, 0.3) for e, q in enumerate((9, 5, 5, 5.1, 5, 5.2, 5), 1)]
    panel.set_entries(flat)
    assert chips(panel) == ["Stalled"]
    assert len(panel.findChildren(QPushButton, "tryThisButton")) == 1  # linear decay; "stop" is advice only
    panel.set_diverged(8, "A loss became NaN at epoch 8, batch 3.")
    assert chips(panel)[0] == "Diverged" and "batch 3" in panel.diagnoses[0].evidence
    panel.clear()
    assert chips(panel) == [] and panel.diagnoses == []


def test_a_run_that_fails_with_a_nan_loss_is_named_diverged_in_the_training_tab(qtbot, view, monkeypatch):
    import workbench.core.training.trainer as training
    from workbench.core.events import Failed, FailureReason

    nan = Failed("", "A loss became NaN at epoch 1, batch 2.", 1, 2, FailureReason.DIVERGED)
    monkeypatch.setattr(training.Trainer, "fit", lambda self, on_event=None, control=None: nan)
    view.form.set_config(preset_config("mlp-small").with_changes(epochs=1))
    assert view.start()
    qtbot.waitUntil(lambda: not view.is_training(), timeout=30_000)
    panel = view.live_view.doctor
    assert chips(panel) == ["Diverged"] and "batch 2" in panel.diagnoses[0].evidence
    assert panel.diagnoses[0].suggestions[0].changes == {"lr_g": 0.00002, "lr_d": 0.00002}
