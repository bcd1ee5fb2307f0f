"""The main window: tabs (Training, later Runs), menus, a status bar with the device.

torch is imported in a background thread after the window is shown (see `start_background_loading`),
so the window appears before the heavy import; training would import it on first use anyway.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QByteArray, QSize, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QTabWidget, QWidget

import workbench
from workbench.gui.screen_fit import clamp_to_screen, open_fitted
from workbench.gui.training.view import TrainingView
from workbench.gui.ui_settings import ui_settings

STOP_AND_SAVE, KEEP_TRAINING = "stop", "keep"
PREFERRED_SIZE = QSize(1400, 860)  # at most the screen's available geometry

_torch_state: dict = {"thread": None, "device": None, "error": None}


def _load_torch() -> None:
    """Import the training stack and find the default device (runs in a daemon thread)."""
    try:
        from workbench.core.training.trainer import resolve_device

        _torch_state["device"] = str(resolve_device("auto"))
    except Exception as e:  # shown in the status bar, training reports it properly
        _torch_state["error"] = f"{type(e).__name__}: {e}"


def start_torch_import() -> None:
    """Start the one background import of torch for this process (idempotent)."""
    if _torch_state["thread"] is None:
        thread = threading.Thread(target=_load_torch, name="torch-import", daemon=True)
        _torch_state["thread"] = thread
        thread.start()


def finish_torch_import(timeout: float = 30.0) -> None:
    """Let a background import that is under way end before the process exits."""
    thread = _torch_state["thread"]
    if thread is not None and thread.is_alive():
        thread.join(timeout)


class MainWindow(QMainWindow):
    """Tabs, menus and status bar; `training_view` is the Training tab."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("GAN Workbench")
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("mainTabs")
        self.setCentralWidget(self.tabs)
        self.training_view = TrainingView(self)
        self.add_tab(self.training_view, "Training")
        self.training_view.device_changed.connect(self.set_device)

        file_menu = self.menuBar().addMenu("&File")
        self.quit_action = QAction("&Quit", self)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.quit_action.triggered.connect(self.close)
        file_menu.addAction(self.quit_action)
        settings_menu = self.menuBar().addMenu("&Settings")
        self.collapse_action = QAction("&Mode-collapse thresholds…", self)
        self.collapse_action.triggered.connect(self.edit_collapse_thresholds)
        settings_menu.addAction(self.collapse_action)
        help_menu = self.menuBar().addMenu("&Help")
        about = QAction("&About GAN Workbench", self)
        about.triggered.connect(self.show_about)
        help_menu.addAction(about)

        self.device_label = QLabel("Device: loading PyTorch…", self)
        self.device_label.setObjectName("deviceLabel")
        self.statusBar().addPermanentWidget(self.device_label)
        self._device_poll = QTimer(self)
        self._device_poll.setInterval(200)
        self._device_poll.timeout.connect(self._poll_torch)
        self._fitted_on_screen = False
        open_fitted(self, PREFERRED_SIZE)
        self.restore_state()

    # ---- public API -------------------------------------------------------------------
    def add_tab(self, widget: QWidget, title: str) -> int:
        """Add a tab (the run browser adds "Runs"); returns its index."""
        return self.tabs.addTab(widget, title)

    def show_tab(self, widget: QWidget) -> None:
        self.tabs.setCurrentWidget(widget)

    def show_training(self) -> None:
        self.show_tab(self.training_view)

    def set_device(self, device: str) -> None:
        self.device_label.setText(f"Device: {device}")

    def start_background_loading(self) -> None:
        """Import torch off the GUI thread and show the default device when known."""
        start_torch_import()
        self._device_poll.start()
        self._poll_torch()

    def show_about(self) -> None:
        QMessageBox.about(self, "About GAN Workbench",
                          f"<b>GAN Workbench</b> {workbench.__version__}<br>"
                          "Train GANs on small image datasets and watch them learn.<br>"
                          "Runs are plain folders: config.json, run.json, metrics.jsonl, samples/.")

    def edit_collapse_thresholds(self) -> bool:
        """Change when samples are flagged "possible mode collapse"; the shown epoch is judged again."""
        from workbench.gui.settings_dialog import CollapseSettingsDialog

        dialog = CollapseSettingsDialog(self)
        if not dialog.exec():
            return False
        live = self.training_view.live_view
        live.refresh_scores()
        return True

    def ask_stop_on_close(self) -> str:
        """Closing while training: STOP_AND_SAVE or KEEP_TRAINING (a method tests replace)."""
        box = QMessageBox(QMessageBox.Icon.Question, "A run is training",
                          "A run is still training. Stop it (a checkpoint is saved and it can be resumed "
                          "later) and quit, or keep training?", parent=self)
        stop = box.addButton("Stop and save", QMessageBox.ButtonRole.AcceptRole)
        keep = box.addButton("Keep training", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.exec()
        return STOP_AND_SAVE if box.clickedButton() is stop else KEEP_TRAINING

    # ---- state ------------------------------------------------------------------------
    def save_state(self) -> None:
        settings = ui_settings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState())
        settings.setValue("window/tab", self.tabs.currentIndex())
        self.training_view.save_state(settings)
        settings.sync()

    def restore_state(self) -> None:
        settings = ui_settings()
        geometry = settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and self.restoreGeometry(geometry):
            clamp_to_screen(self)  # saved on a larger or a since unplugged screen
        state = settings.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        self.training_view.restore_state(settings)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._fitted_on_screen:  # the window manager's frame is known once shown
            self._fitted_on_screen = True
            QTimer.singleShot(0, self, self._clamp_to_screen)

    def _clamp_to_screen(self) -> None:
        clamp_to_screen(self)

    def closeEvent(self, event) -> None:
        if self.training_view.is_training():
            if self.ask_stop_on_close() != STOP_AND_SAVE:
                event.ignore()
                return
            self.statusBar().showMessage("Stopping the run and saving a checkpoint…")
            self.training_view.stop_and_wait()
        self._device_poll.stop()
        self.save_state()
        event.accept()

    def _poll_torch(self) -> None:
        if _torch_state["device"]:
            if self.device_label.text().startswith("Device: loading"):
                self.set_device(_torch_state["device"])
            self.training_view.form.refresh_disk_estimate()
            self._device_poll.stop()
        elif _torch_state["error"]:
            self.device_label.setText("Device: PyTorch failed to load")
            self.device_label.setToolTip(_torch_state["error"])
            self._device_poll.stop()
