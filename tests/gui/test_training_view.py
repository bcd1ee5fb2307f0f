"""The training tab end to end on real MNIST: start, live plots and grids, pause/resume/stop,
resume, failures shown in the window, closing while training, UI state restore."""

from __future__ import annotations

import threading
import time

import numpy as np
from PySide6.QtCore import Qt

from workbench.core.events import Failed, FailureReason, Finished, Stopped
from workbench.core.presets import preset_config
from workbench.core.store.runs import RunStore
from workbench.gui import main_window as main_window_module
from workbench.gui.main_window import KEEP_TRAINING, STOP_AND_SAVE, MainWindow
from workbench.gui.training.view import TrainingView


def short(preset: str, data_dir: str, **changes):
    return preset_config(preset).with_changes(data_dir=data_dir, **changes)


def wait_done(qtbot, view, timeout=60_000):
    qtbot.waitUntil(lambda: not view.is_training(), timeout=timeout)
    return view.last_final_event()


def image_bytes(image) -> bytes:
    return bytes(image.constBits())


def test_short_run_updates_plots_and_grids(qtbot, view, data_dir):
    view.form.set_config(short("mlp-small", data_dir, epochs=3, max_batches=10))
    view.form.set_run_details("gui smoke", "three tiny epochs")
    epochs = []
    with qtbot.waitSignal(view.run_started, timeout=5000) as started:
        qtbot.mouseClick(view.start_button, Qt.MouseButton.LeftButton)
    run = started.args[0]
    assert view.is_training() and view.form.is_read_only()
    assert not view.start_button.isEnabled() and view.stop_button.isEnabled()
    worker_signals = view._worker
    worker_signals.epoch_ended.connect(lambda e: epochs.append(e.epoch))
    final = wait_done(qtbot, view)
    assert isinstance(final, Finished) and final.epochs_done == 3
    assert epochs == [1, 2, 3]
    view.live_view.flush()
    x, y = view.live_view.loss_plot.series_data("d")
    assert list(x) == [1, 2, 3] and np.all(np.isfinite(y))
    bx, _ = view.live_view.loss_plot.series_data("d_batch")
    assert len(bx) >= 3 and bx.max() <= 3
    px, py = view.live_view.prob_plot.series_data("d_real")
    assert len(px) == 3 and np.all((0 <= py) & (py <= 1))
    grids = view.live_view.grid_view
    assert grids.epochs() == [1, 2, 3] and grids.current_epoch() == 3
    latest = image_bytes(grids.current_image())
    grids.slider.setValue(0)  # scrub back
    assert grids.current_epoch() == 1 and image_bytes(grids.current_image()) != latest
    assert "Finished" in view.status_label.text()
    info = run.info()
    assert info["status"] == "finished" and info["name"] == "gui smoke" and info["notes"] == "three tiny epochs"
    assert info["preset"] == "mlp-small"
    assert view.start_button.isEnabled() and not view.form.is_read_only()


def test_pause_resume_stop_quickly_and_resume_run(qtbot, view, data_dir):
    """dcgan is the slow preset: stop must land within a batch, long before the epoch ends."""
    view.form.set_config(short("dcgan", data_dir, epochs=2, max_batches=0))
    assert view.start()
    worker = view._worker
    progress = []
    worker.progress.connect(lambda e: progress.append(e.batch))
    parked = threading.Event()  # set when the trainer reaches a batch boundary while paused
    control, wait = worker.control, worker.control.wait_while_paused

    def spy():
        if control.paused:
            parked.set()
        wait()

    control.wait_while_paused = spy
    qtbot.waitUntil(lambda: len(progress) >= 1, timeout=30_000)
    view.pause_button.click()
    assert view.is_paused() and view.pause_button.text() == "Resume"
    qtbot.waitUntil(parked.is_set, timeout=20_000)  # the batch in flight finishes first
    qtbot.wait(100)
    seen = len(progress)
    qtbot.wait(1200)
    assert len(progress) == seen, "no batches while paused"
    view.pause_button.click()
    assert not view.is_paused()
    qtbot.waitUntil(lambda: len(progress) > seen, timeout=10_000)
    asked = time.perf_counter()
    view.stop_button.click()
    final = wait_done(qtbot, view, timeout=10_000)
    latency = time.perf_counter() - asked
    assert isinstance(final, Stopped) and final.epochs_done == 0, "stopped inside the first epoch"
    assert latency < 5, f"stop took {latency:.1f} s"
    run = view.current_run()
    assert run.info()["status"] == "stopped" and run.latest_checkpoint.exists()
    assert "Stopped" in view.status_label.text()

    # Resume continues that run here; make it short by resuming the finished-epoch logic on a cap.
    run.save_config(run.config().with_changes(max_batches=3, epochs=1))
    assert view.resume_run(run)
    assert view.form.is_read_only() and view.form.config().max_batches == 3
    final = wait_done(qtbot, view)
    assert isinstance(final, Finished) and final.epochs_done == 1
    assert view.live_view.grid_view.epochs() == [1]
    assert not view.resume_run(run), "nothing left to train without extra epochs"
    assert "already trained all its epochs (1)" in view.message_text()
    assert view.resume_run(run, extra_epochs=1)
    final = wait_done(qtbot, view)
    assert isinstance(final, Finished) and final.epochs_done == 2
    assert run.config().epochs == 2 and view.live_view.epochs_shown() == [1, 2]


def test_missing_dataset_is_said_beside_start_before_a_run_is_made(qtbot, view, tmp_path, data_dir):
    from workbench.core.data.training_data import data_problem

    empty = tmp_path / "no-data"
    empty.mkdir()
    config = short("mlp-small", str(empty), epochs=1, max_batches=2)
    view.form.set_config(config)
    assert not view.start()  # the tests never download: the files cannot be had
    text = view.status_label.text()
    assert text == data_problem(config) and "mnist dataset was not found" in text and "Data folder" in text
    assert RunStore().runs() == [] and not view.is_training()
    assert view.start_button.isEnabled() and not view.form.is_read_only()
    # usable: fix the folder and train
    view.form.set_field("data_dir", data_dir)
    assert view.start()
    assert view.message_text() == "" and "not found" not in view.status_label.text()
    assert isinstance(wait_done(qtbot, view), Finished)


def test_a_folder_smaller_than_a_batch_is_said_beside_start(qtbot, view, tmp_path):
    from helpers.image_files import write_images

    write_images(tmp_path / "few", 3)
    view.form.set_config(preset_config("cpu-fast").with_changes(dataset="folder", image_folder=str(tmp_path / "few")))
    assert not view.start() and RunStore().runs() == []
    assert view.status_label.text() == (f"The image folder {tmp_path / 'few'} has 3 images, fewer than one batch of "
                                        f"64: add images or lower the batch size.")


def test_worker_exception_becomes_a_message(qtbot, view, monkeypatch):
    import workbench.core.training.trainer as training

    def broken(self, on_event=None, control=None):
        raise MemoryError("simulated")

    monkeypatch.setattr(training.Trainer, "fit", broken)
    view.form.set_config(preset_config("mlp-small").with_changes(epochs=1))
    assert view.start()
    final = wait_done(qtbot, view)
    assert isinstance(final, Failed) and "MemoryError: simulated" in view.message_text()
    assert view.current_run().info()["status"] == "failed"
    assert view.start_button.isEnabled()


def test_a_diverged_run_is_told_apart_by_its_reason_not_its_words(qtbot, view, monkeypatch):
    import workbench.core.training.trainer as training

    outcomes = iter([Failed("", "The losses went wrong at epoch 1, batch 2.", 1, 2, FailureReason.DIVERGED),
                     Failed("", "Training failed: ValueError: nan in a config value", reason=FailureReason.CRASHED)])
    monkeypatch.setattr(training.Trainer, "fit", lambda self, on_event=None, control=None: next(outcomes))
    view.form.set_config(preset_config("mlp-small").with_changes(epochs=1))
    assert view.start() and isinstance(wait_done(qtbot, view), Failed)
    assert "What to try: lower the learning rates" in view.message_text()
    assert view.start() and isinstance(wait_done(qtbot, view), Failed)
    assert "What to try" not in view.message_text() and "kept with status “failed”" in view.message_text()


def test_invalid_form_disables_start(qtbot, view):
    view.form.set_field("lr_d", "fast")
    assert not view.start_button.isEnabled()
    assert not view.start() and "Discriminator LR" in view.message_text()
    assert RunStore().runs() == []
    view.form.set_field("lr_d", "2e-4")
    assert view.start_button.isEnabled() and view.form.config().lr_d == 0.0002


def test_load_config_fills_form(qtbot, view):
    assert view.load_config(preset_config("dcgan").with_changes(epochs=7), preset="dcgan")
    assert view.form.preset_name() == "dcgan" and view.form.config().epochs == 7


def test_close_while_training_asks_then_stops(qtbot, data_dir, monkeypatch):
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    view = window.training_view
    view.form.set_config(short("mlp-small", data_dir, epochs=2, max_batches=0))
    assert view.start()
    run = view.current_run()
    qtbot.waitUntil(lambda: view.last_final_event() is None and view._started is not None, timeout=30_000)
    answers = [KEEP_TRAINING]
    monkeypatch.setattr(window, "ask_stop_on_close", lambda: answers.pop(0))
    assert not window.close(), "Keep training cancels the close"
    assert view.is_training() and window.isVisible()
    answers.append(STOP_AND_SAVE)
    assert window.close()
    assert not view.is_training()
    assert isinstance(view.last_final_event(), Stopped)
    info = run.info()
    assert info["status"] == "stopped" and run.latest_checkpoint.exists()


def test_ui_state_is_restored(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    window.training_view.form.choose_preset("dcgan-small")
    window.training_view.form.set_field("epochs", "4")
    window.training_view.live_view.smoothing.set_weight(0.5)
    assert window.close()
    again = MainWindow()
    qtbot.addWidget(again)
    form = again.training_view.form
    assert form.preset_name() == "dcgan-small" and form.config().epochs == 4
    assert again.training_view.live_view.smoothing.weight() == 0.5


def test_window_menus_tabs_and_device(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    extra = TrainingView()
    index = window.add_tab(extra, "Runs")
    assert window.tabs.tabText(index) == "Runs" and window.tabs.count() == 2
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles == ["&File", "&Settings", "&Help"]
    window.training_view.device_changed.emit("cpu")
    assert window.device_label.text() == "Device: cpu"
    window.start_background_loading()
    qtbot.waitUntil(lambda: main_window_module._torch_state["device"] is not None, timeout=60_000)
    qtbot.waitUntil(lambda: not window._device_poll.isActive(), timeout=5000)
