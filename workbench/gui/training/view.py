"""The training tab: the config form on the left, the live view on the right, and the
Start / Pause / Stop controls that drive one TrainingWorker at a time.

Errors (invalid form, missing dataset, NaN losses, anything the worker hits) are shown in a
banner at the top of the tab; the run folder keeps its status, and the tab stays usable.
"""

from __future__ import annotations

import json
import math
import time

from PySide6.QtCore import QByteArray, QEventLoop, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from workbench.core import words
from workbench.core.atomic import describe_write_error
from workbench.core.config import ConfigError, TrainConfig
from workbench.core.events import Failed, FailureReason, Finished, Stopped
from workbench.core.presets import matching_preset
from workbench.core.store.lineage import history
from workbench.core.store.runs import RunStore
from workbench.gui import workers
from workbench.gui.layout import splitter
from workbench.gui.training.banner import MessageBanner
from workbench.gui.training.form import ConfigForm
from workbench.gui.training.live_view import LiveView
from workbench.gui.training.worker import TrainingWorker
from workbench.gui.ui_settings import read_float, read_str

#: failures whose message already says how to go on (where the data goes, free space, resume)
SAYS_WHAT_TO_DO = (FailureReason.DATA_MISSING, FailureReason.DISK_FULL, FailureReason.LOST_RANK)

def format_duration(seconds: float) -> str:
    if not math.isfinite(seconds) or seconds < 0:
        return "–"
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class TrainingView(QWidget):
    """Form + live view + controls. One run trains at a time."""

    run_started = Signal(object)  # core.runs.Run, when its worker starts
    run_ended = Signal(object)  # the final event (Finished, Stopped, Failed)
    device_changed = Signal(str)  # the device the trainer reported
    training_idle = Signal()  # the training thread has ended; Start is possible again

    def __init__(self, parent=None):
        super().__init__(parent)
        self._worker: TrainingWorker | None = None  # None once the run has ended
        self._worker_object: TrainingWorker | None = None  # kept until its thread has ended
        self._thread = None
        self._run = None
        self._config: TrainConfig | None = None
        self._started = None
        self._last_ips = 0.0
        self._epoch_done = 0
        self._final = None
        self._stop_requested_at: float | None = None

        self.banner = MessageBanner(self)
        self.form = ConfigForm(self)
        self.form.validity_changed.connect(self._sync_buttons)
        scroll = QScrollArea(self)
        scroll.setObjectName("formScroll")
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(self.form.sizeHint().width() + 24)
        self.live_view = LiveView(self)

        self.start_button = QPushButton("Start", self)
        self.start_button.setObjectName("startButton")
        self.start_button.setToolTip("Create a run from the form and train it")
        self.start_button.clicked.connect(self.start)
        self.pause_button = QPushButton("Pause", self)
        self.pause_button.setObjectName("pauseButton")
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button = QPushButton("Stop", self)
        self.stop_button.setObjectName("stopButton")
        self.stop_button.setToolTip("Stop after the current batch; a checkpoint is saved, Resume continues")
        self.stop_button.clicked.connect(self.stop)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setObjectName("progressBar")
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0)
        self.progress_bar.setTextVisible(True)
        self.status_label = QLabel("Ready. Choose a preset, adjust it, press Start.", self)
        self.status_label.setObjectName("statusLabel")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        controls = QHBoxLayout()
        controls.addWidget(self.start_button)
        controls.addWidget(self.pause_button)
        controls.addWidget(self.stop_button)
        controls.addWidget(self.progress_bar, 1)
        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(4, 0, 0, 0)
        right_layout.addLayout(controls)
        right_layout.addWidget(self.status_label)
        right_layout.addWidget(self.live_view, 1)

        self.splitter = splitter(self, Qt.Orientation.Horizontal, [scroll, right], [0, 1], name="mainSplitter")
        self.splitter.setCollapsible(1, False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.banner)
        layout.addWidget(self.splitter, 1)
        self._sync_buttons()

    # ---- public API (main window, run browser) ----------------------------------------
    def is_training(self) -> bool:
        """True from Start until the worker's thread has ended."""
        return self._thread is not None

    def current_run(self):
        """The run being (or last) trained here, or None."""
        return self._run

    def last_final_event(self):
        return self._final

    def start(self) -> bool:
        """Create a run from the form and train it; False (with a message) when it can't."""
        if self.is_training():
            return False
        config = self.form.config()
        if config is None:
            fields = ", ".join(self.form.specs[n].label for n in self.form.errors())
            self.show_message(f"The form has invalid values ({fields}). Fix the fields marked in red, "
                              f"then press Start.", "error")
            return False
        from workbench.core.data.training_data import data_problem  # torch: loaded by now, or needed now

        problem = data_problem(config)  # said beside Start, as `train` says it, before a run is made
        if problem:
            self._set_status(problem, error=True)
            return False
        try:
            run = RunStore().create(config, name=self.form.run_name() or None, notes=self.form.run_notes(),
                                    preset=matching_preset(config))
        except ConfigError as e:
            self.show_message(f"The configuration is not valid:\n{e}", "error")
            return False
        except OSError as e:
            self.show_message(f"{describe_write_error(e)} Check that the app's home folder is writable "
                              f"(WORKBENCH_HOME moves it).", "error")
            return False
        self.live_view.reset()
        self._launch(run, config)
        return True

    def resume_run(self, run, extra_epochs: int | None = None) -> bool:
        """Continue a stopped or finished run here; `extra_epochs` adds to its planned total.

        The form shows the run's config (read-only while it trains), the plots and grids its
        history. False (with a message) when it can't: already training, bad config, nothing
        left to train.
        """
        if self.is_training():
            self.show_message("A run is already training in this window; stop it before resuming another.",
                              "warning")
            return False
        try:
            config = run.config()
            info = run.read_info()
        except (ConfigError, OSError, ValueError) as e:
            self.show_message(f"Run {run.id} can't be resumed: its files are unreadable ({e}).", "error")
            return False
        log = history(run)  # a fork shows its parent's epochs 1..E too
        done = info.parent_epoch + sum(1 for e in log.epochs if not e.get("inherited"))
        if extra_epochs:
            config = config.with_changes(epochs=config.epochs + int(extra_epochs))
            try:
                config.check()
            except ConfigError as e:
                self.show_message(f"Can't add {words.count(extra_epochs, 'epoch')}: {e}", "error")
                return False
        elif done >= config.epochs:
            self.show_message(f"Run “{info.name or run.id}” already trained all its epochs ({config.epochs}). "
                              f"Resume it with more epochs to continue.", "info")
            return False
        self.form.set_config(config, preset=info.preset)
        self.form.set_run_details(info.name, info.notes)
        self.live_view.load_history(log.epochs, log.grids)
        self._launch(run, config)
        return True

    def load_config(self, config: TrainConfig, preset: str | None = None) -> bool:
        """Fill the form (e.g. "New run from this config"); refused while training."""
        if self.is_training():
            self.show_message("A run is training; the form can be changed once it stops.", "warning")
            return False
        self.form.set_config(config, preset=preset)
        self.form.set_run_details("", "")
        self.banner.hide()
        return True

    def toggle_pause(self) -> None:
        if self._worker is None:
            return
        if self._worker.paused:
            self._worker.resume()
            self.pause_button.setText("Pause")
            self._set_status("Resumed.")
        else:
            self._worker.pause()
            self.pause_button.setText("Resume")
            self._set_status(f"Paused after the current batch. {self._status_tail()}")

    def is_paused(self) -> bool:
        return self._worker is not None and self._worker.paused

    def stop(self) -> None:
        """Ask the worker to stop after the current batch (it saves a checkpoint)."""
        if self._worker is None:
            return
        self._stop_requested_at = time.perf_counter()
        self._worker.stop()
        self.stop_button.setEnabled(False)
        self.pause_button.setEnabled(False)
        self._set_status("Stopping after the current batch and saving a checkpoint…")

    def stop_and_wait(self, timeout_ms: int = 120_000) -> bool:
        """Stop and keep the GUI responsive until the thread has ended; True when it did."""
        if self._thread is None:
            return True
        self.stop()
        loop = QEventLoop()
        timer = QTimer()
        timer.setSingleShot(True)
        timer.timeout.connect(loop.quit)
        self.training_idle.connect(loop.quit)
        timer.start(timeout_ms)
        while self._thread is not None and timer.isActive():
            loop.exec()
        timer.stop()
        self.training_idle.disconnect(loop.quit)
        return self._thread is None

    def show_message(self, text: str, kind: str = "error") -> None:
        self.banner.show_message(text, kind)

    def message_text(self) -> str:
        """The banner's text when shown, else ""."""
        return self.banner.text_label.text() if not self.banner.isHidden() else ""

    # ---- UI state -----------------------------------------------------------------------
    def save_state(self, settings) -> None:
        settings.setValue("training/splitter", self.splitter.saveState())
        settings.setValue("training/live_splitter", self.live_view.splitter.saveState())
        settings.setValue("training/smoothing", self.live_view.smoothing.weight())
        settings.setValue("training/preset", self.form.preset_name())
        config = self.form.config()
        if config is not None and not self.is_training():
            settings.setValue("training/form", json.dumps(config.to_dict()))

    def restore_state(self, settings) -> None:
        for key, split in (("training/splitter", self.splitter),
                           ("training/live_splitter", self.live_view.splitter)):
            state = settings.value(key)
            if isinstance(state, QByteArray):
                split.restoreState(state)
        self.live_view.smoothing.set_weight(read_float(settings, "training/smoothing", 0.0))
        text = read_str(settings, "training/form")
        if text:
            try:
                self.form.set_config(TrainConfig.from_dict(json.loads(text)),
                                     preset=read_str(settings, "training/preset") or None)
            except (ValueError, ConfigError):
                pass  # a stale or foreign value: keep the default preset

    # ---- worker plumbing ----------------------------------------------------------------
    def _launch(self, run, config: TrainConfig) -> None:
        self.banner.hide()
        self.live_view.set_evaluating(bool(config.eval_samples), config.dataset)
        self.live_view.doctor.set_run(run.id, config)
        self._run, self._config, self._final = run, config, None
        self._started, self._last_ips, self._epoch_done = None, 0.0, 0
        self._stop_requested_at = None
        worker = TrainingWorker(config, run)
        worker.started.connect(self._on_started)
        worker.progress.connect(self._on_progress)
        worker.epoch_ended.connect(self._on_epoch_ended)
        worker.finished.connect(self._on_finished)
        worker.preparing.connect(self._on_preparing)
        worker.notice.connect(lambda event: self.show_message(event.message, "info"))
        self._worker = self._worker_object = worker
        self._thread = workers.start(worker)
        self._thread.finished.connect(self._on_thread_finished)
        self.form.set_read_only(True)
        self.pause_button.setText("Pause")
        self.progress_bar.setRange(0, 0)  # busy until Started says how long
        self._set_status(f"Starting run {run.id}: loading the data set and building the models…")
        self._sync_buttons()
        self.run_started.emit(run)

    def _on_preparing(self, event) -> None:
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setValue(int(1000 * event.fraction))
        self._set_status(f"Preparing: {event.message}. Stop cancels it.")

    def _on_started(self, event) -> None:
        self._started = event
        self._epoch_done = event.epochs_done
        total = max(1, event.epochs_total * event.batches_per_epoch)
        self.progress_bar.setRange(0, total)
        self.progress_bar.setValue(event.epochs_done * event.batches_per_epoch)
        self.device_changed.emit(event.device)
        self.live_view.grid_view.set_row_labels(event.grid_rows)
        what = "Resumed" if event.epochs_done else "Training"
        self._set_status(f"{what} run {event.run_id} on {event.device}: epoch {event.epochs_done + 1}/"
                         f"{event.epochs_total}, {words.count(event.batches_per_epoch, 'batch', 'batches')} per epoch.")

    def _on_progress(self, event) -> None:
        self.live_view.add_progress(event)
        self._last_ips = event.images_per_sec
        if self._started is None:
            return
        nb = self._started.batches_per_epoch
        done = (event.epoch - 1) * nb + event.batch
        self.progress_bar.setValue(done)
        if self._stop_requested_at is None and not self.is_paused():
            self._set_status(f"Epoch {event.epoch}/{self._started.epochs_total} · batch {event.batch}/{event.batches}"
                             f" · {event.images_per_sec:,.0f} img/s · {self._status_tail(done)}")

    def _on_epoch_ended(self, event) -> None:
        self.live_view.add_epoch(event)
        self._epoch_done = event.epoch
        self._last_ips = event.images_per_sec
        if self._started is not None:
            done = event.epoch * self._started.batches_per_epoch
            self.progress_bar.setValue(done)
            if self._stop_requested_at is None and not self.is_paused():
                self._set_status(f"Epoch {event.epoch}/{event.epochs_total} done in {event.seconds:.1f} s · "
                                 f"D {event.d_loss:.3f} · G {event.g_loss:.3f} · {event.images_per_sec:,.0f} img/s"
                                 f" · {self._status_tail(done)}")

    def _status_tail(self, batches_done: int | None = None) -> str:
        """ETA and device for the status line."""
        if self._started is None:
            return ""
        nb = self._started.batches_per_epoch
        total = self._started.epochs_total * nb
        if batches_done is None:
            batches_done = self.progress_bar.value()
        eta = "–"
        if self._last_ips > 0 and self._config is not None:
            eta = format_duration((total - batches_done) * self._config.batch_size / self._last_ips)
        return f"ETA {eta} · {self._started.device}"

    def _on_finished(self, final) -> None:
        self._final = final
        self._worker = None
        name = self._run.id if self._run else "?"
        if isinstance(final, Finished):
            self._set_status(f"Finished run {name}: {words.count(final.epochs_done, 'epoch')}.")
            if self._started is not None:
                self.progress_bar.setValue(self.progress_bar.maximum())
        elif isinstance(final, Stopped):
            latency = ""
            if self._stop_requested_at is not None:
                latency = f" (stopped {time.perf_counter() - self._stop_requested_at:.1f} s after the request)"
            self._set_status(f"Stopped run {name}{latency}. {final.message} "
                             f"Resume it from the Runs tab.")
        elif isinstance(final, Failed):
            self._set_status(f"Run {name} failed.")
            if final.reason is FailureReason.DIVERGED:
                self.live_view.doctor.set_diverged(final.epoch or self._epoch_done + 1, final.message)
            self.show_message(self._failure_text(final), "error")
        if self.progress_bar.maximum() == 0:
            self.progress_bar.setRange(0, 1)
        self.run_ended.emit(final)

    def _failure_text(self, final: Failed) -> str:
        text = final.message.strip()
        if final.reason is FailureReason.DIVERGED:
            text += ("\nWhat to try: lower the learning rates, or use the bce-logits loss, then start a new "
                     "run (the failed run is kept with its history).")
        elif final.reason not in SAYS_WHAT_TO_DO:
            text += "\nThe run is kept with status “failed”; fix the cause and start a new run."
        return text

    def _on_thread_finished(self) -> None:
        thread, worker = self._thread, self._worker_object
        self._thread = self._worker = self._worker_object = None
        if thread is not None:
            workers.retire(thread, worker)
        self.form.set_read_only(False)
        self.pause_button.setText("Pause")
        self._sync_buttons()
        self.training_idle.emit()

    def _sync_buttons(self, *_args) -> None:
        training = self.is_training()
        self.start_button.setEnabled(not training and self.form.is_valid())
        self.pause_button.setEnabled(training and self._worker is not None)
        self.stop_button.setEnabled(training and self._worker is not None and self._stop_requested_at is None)

    def _set_status(self, text: str, error: bool = False) -> None:
        self.status_label.setText(text)
        self.status_label.setStyleSheet("color: #c22;" if error else "")
