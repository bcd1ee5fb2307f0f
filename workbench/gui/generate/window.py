"""The Generate window: what a run's generator learned, at any kept epoch; it opens on the best
epoch when the run keeps one (the lowest Fréchet score), else the latest. Samples from a seed,
interpolations between seeds (a row per seed pair), a walk along one latent dimension; the
picture follows the controls, and saves as a grid PNG, one PNG per image or a NumPy array.

Changes are debounced, then rendered by a `generate_worker.RenderWorker` in its own thread, one
at a time: a request made while one renders waits, replaced by any newer one, and only the
newest request's images are shown, so dragging a spin box never queues up stale work.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QTabBar,
    QVBoxLayout,
    QWidget,
)

from workbench.core import words
from workbench.core.atomic import describe_write_error
from workbench.gui import workers
from workbench.gui.generate.class_picker import ClassPicker
from workbench.gui.generate.worker import (
    MODES,
    GenerateRequest,
    GeneratorCache,
    RenderWorker,
)
from workbench.gui.plots.grid_view import PixelView, array_to_image
from workbench.gui.screen_fit import open_fitted
from workbench.gui.ui_settings import read_str, ui_settings

DEBOUNCE_MS = 150
MAX_SEED = 2**31 - 1
MAX_STEPS = 64
MAX_ROWS = 16
SAVE_KINDS = {"png": ("Save grid PNG", "PNG image (*.png)"), "npy": ("Save NumPy array", "NumPy array (*.npy)")}
LAST_DIR_KEY = "generate/last_dir"
PREFERRED_SIZE = QSize(980, 640)  # at most the screen's available geometry


def epoch_text(checkpoint, latest: bool) -> str:
    """How the epoch combo names a checkpoint; the mid-epoch latest says what its weights are."""
    if checkpoint.mid_epoch:
        return f"epoch {checkpoint.epoch} + part of {checkpoint.epoch + 1} (latest, stopped mid-epoch)"
    return f"epoch {checkpoint.epoch}" + (" (latest)" if latest else "")


def best_text(best) -> str:
    """How the epoch combo names the run's best epoch (a BestEpoch): first, and chosen."""
    return f"best: epoch {best.epoch}, {best.quality:.2f}"


class GenerateWindow(QWidget):
    """A top-level window for one run. Raises CheckpointError when the run has no checkpoint.

    `request_started(request)` when a worker takes a request; `image_shown(request)` when its
    images are on screen (`images`, `latents`, `grid` hold them)."""

    request_started = Signal(object)
    image_shown = Signal(object)

    def __init__(self, run, name: str | None = None, parent=None, debounce_ms: int = DEBOUNCE_MS):
        super().__init__(parent, Qt.WindowType.Window)
        from workbench.core.store.best_epoch import CHECKPOINT_NAME, read_best
        from workbench.core.store.checkpoints import CheckpointError
        from workbench.core.store.epoch_checkpoints import (
            epoch_checkpoints,  # torch loads here, not when listing
        )

        self.setObjectName("generateWindow")
        self.run, self.name = run, name or run.id
        self.config = run.config()
        self.classes = list(run.read_info().classes or [])  # a conditional run's, in label order
        self.checkpoints = epoch_checkpoints(run)
        if not self.checkpoints:
            raise CheckpointError(f"{self.name} has no checkpoint yet: train at least one epoch first.")
        best = read_best(run.checkpoints_dir)
        self.best = best if best is not None and best.epoch in self.checkpoints else None
        self.setWindowTitle(f"Generate — {self.name}")
        self.cache = GeneratorCache(run)
        self.images = self.latents = self.grid = self.nrow = self.labels = None
        self.shown_request: GenerateRequest | None = None
        self.last_outcome: dict | None = None
        self._serial = 0
        self._pending: GenerateRequest | None = None
        self._thread = self._worker = None
        self._closed = False

        self.epoch_combo = QComboBox(self)
        self.epoch_combo.setObjectName("generateEpoch")
        self.epoch_combo.setToolTip("The epoch whose generator draws: the best-scoring one when the run was "
                                    "scored (lowest Fréchet score), every kept checkpoint, and the latest")
        latest = max(self.checkpoints)
        if self.best is not None:
            self.epoch_combo.addItem(best_text(self.best), self.best.epoch)
        for epoch, checkpoint in self.checkpoints.items():
            if checkpoint.path.name != CHECKPOINT_NAME:  # the best's own entry, named once
                self.epoch_combo.addItem(epoch_text(checkpoint, epoch == latest), epoch)
        self.epoch_combo.setCurrentIndex(0 if self.best is not None else self.epoch_combo.count() - 1)
        self.mode_bar = QTabBar(self)
        self.mode_bar.setObjectName("generateMode")
        for mode in MODES:
            self.mode_bar.addTab(mode.capitalize())
        self.pages = QStackedWidget(self)
        self._build_pages()
        self.mode_bar.currentChanged.connect(self.pages.setCurrentIndex)

        self.view = PixelView(self)
        self.view.setObjectName("generatedView")
        self.view.set_placeholder("Loading the generator…")
        self.status = QLabel(self)
        self.status.setObjectName("generateStatus")
        self.status.setWordWrap(True)
        self.save_buttons = {}
        for kind, name, text, tip in (
                ("png", "saveGridButton", "Save grid PNG…", "The picture as one PNG"),
                ("folder", "saveFolderButton", "Save PNGs to folder…", "One PNG per image: image-0000.png, …"),
                ("npy", "saveArrayButton", "Save NumPy array…",
                 "The raw images: (N, H, W) float32 in [0, 1]; (N, H, W, 3) for a colour run")):
            button = QPushButton(text, self)
            button.setObjectName(name)
            button.setToolTip(tip)
            button.setEnabled(False)
            button.clicked.connect(lambda _checked=False, kind=kind: self.save(kind))
            self.save_buttons[kind] = button

        form = QFormLayout()
        form.addRow("Epoch", self.epoch_combo)
        side = QVBoxLayout()
        side.addLayout(form)
        self.class_picker = ClassPicker(self.classes, self) if self.classes else None
        if self.class_picker is not None:
            self.class_picker.changed.connect(self.schedule)
            side.addWidget(self.class_picker)
        side.addWidget(self.mode_bar)
        side.addWidget(self.pages)
        side.addStretch(1)
        for button in self.save_buttons.values():
            side.addWidget(button)
        panel = QWidget(self)
        panel.setLayout(side)
        panel.setFixedWidth(300)
        right = QVBoxLayout()
        right.addWidget(self.view, 1)
        right.addWidget(self.status)
        layout = QHBoxLayout(self)
        layout.addWidget(panel)
        layout.addLayout(right, 1)
        open_fitted(self, PREFERRED_SIZE)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(debounce_ms)
        self._debounce.timeout.connect(self.regenerate)
        self.epoch_combo.currentIndexChanged.connect(self.schedule)
        self.mode_bar.currentChanged.connect(self.schedule)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.stop_and_wait)
        self.regenerate()

    # ---- controls ------------------------------------------------------------------------------
    def _spin(self, name: str, low: int, high: int, value: int, tip: str) -> QSpinBox:
        box = QSpinBox(self)
        box.setObjectName(name)
        box.setRange(low, high)
        box.setValue(value)
        box.setToolTip(tip)
        box.valueChanged.connect(self.schedule)
        return box

    def _number(self, name: str, value: float, tip: str) -> QDoubleSpinBox:
        box = QDoubleSpinBox(self)
        box.setObjectName(name)
        box.setRange(-20.0, 20.0)
        box.setSingleStep(0.5)
        box.setValue(value)
        box.setToolTip(tip)
        box.valueChanged.connect(self.schedule)
        return box

    def _page(self, rows) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        form.setContentsMargins(0, 6, 0, 0)
        for label, widget in rows:
            form.addRow(label, widget)
        return page

    def _build_pages(self) -> None:
        from workbench.core.outputs.generation import MAX_IMAGES

        seed_tip = "The same seed draws the same latent points, in this window and in `gan-workbench sample`"
        self.count = self._spin("samplesCount", 1, MAX_IMAGES, 64, "How many images")
        self.seed = self._spin("samplesSeed", 0, MAX_SEED, 0, seed_tip)
        self.seed_a = self._spin("interpolationSeedA", 0, MAX_SEED, 0, "Each row starts at this seed's point "
                                 "(row i at seed A + i)")
        self.seed_b = self._spin("interpolationSeedB", 0, MAX_SEED, 1, "Each row ends at this seed's point "
                                 "(row i at seed B + i)")
        self.steps = self._spin("interpolationSteps", 2, MAX_STEPS, 10, "Images per row, both ends included")
        self.rows = self._spin("interpolationRows", 1, MAX_ROWS, 4, "Rows, each from its own pair of seeds")
        self.path = QComboBox(self)
        self.path.setObjectName("interpolationPath")
        self.path.addItems(["Spherical", "Linear"])
        self.path.setToolTip("Spherical keeps the length a normal latent point typically has; a straight "
                             "line passes through unlikely short vectors. Linear stays inside uniform noise's box.")
        self.path.setCurrentIndex(0 if self.config.latent_distribution == "normal" else 1)
        self.path.currentIndexChanged.connect(self.schedule)
        reach = 3.0 if self.config.latent_distribution == "normal" else 1.0
        self.walk_seed = self._spin("walkSeed", 0, MAX_SEED, 0, "The latent point the walk starts from")
        self.walk_dim = self._spin("walkDimension", 0, self.config.latent_size - 1, 0,
                                   f"Which of the {self.config.latent_size} latent dimensions to sweep")
        self.walk_low = self._number("walkLow", -reach, "The dimension's first value")
        self.walk_high = self._number("walkHigh", reach, "The dimension's last value")
        self.walk_steps = self._spin("walkSteps", 2, MAX_STEPS, 10, "Images along the walk")
        self.pages.addWidget(self._page([("Images", self.count), ("Seed", self.seed)]))
        self.pages.addWidget(self._page([("Seed A", self.seed_a), ("Seed B", self.seed_b), ("Steps", self.steps),
                                         ("Rows", self.rows), ("Path", self.path)]))
        self.pages.addWidget(self._page([("Seed", self.walk_seed), ("Dimension", self.walk_dim),
                                         ("From", self.walk_low), ("To", self.walk_high),
                                         ("Steps", self.walk_steps)]))

    def mode(self) -> str:
        return MODES[self.mode_bar.currentIndex()]

    def set_mode(self, mode: str) -> None:
        self.mode_bar.setCurrentIndex(MODES.index(mode))

    def epoch(self) -> int:
        return self.epoch_combo.currentData()

    def set_epoch(self, epoch: int) -> None:
        self.epoch_combo.setCurrentIndex(self.epoch_combo.findData(epoch))

    def current_request(self) -> GenerateRequest:
        """What the controls ask for now."""
        common = dict(epoch=self.epoch(), mode=self.mode(), serial=self._serial)
        if common["mode"] == "interpolation":
            return GenerateRequest(seed=self.seed_a.value(), seed_b=self.seed_b.value(), steps=self.steps.value(),
                                   rows=self.rows.value(), spherical=self.path.currentIndex() == 0, **common)
        if common["mode"] == "walk":
            return GenerateRequest(seed=self.walk_seed.value(), dim=self.walk_dim.value(), low=self.walk_low.value(),
                                   high=self.walk_high.value(), steps=self.walk_steps.value(), **common)
        if self.class_picker is not None:
            pick, label, label_b, steps = self.class_picker.choice()
            common.update(pick=pick, label=label, label_b=label_b)
            if pick in ("all", "morph"):  # from the samples' seed, whatever the mode shows
                return GenerateRequest(seed=self.seed.value(), count=self.count.value(), steps=steps or 10,
                                       **common)
        return GenerateRequest(seed=self.seed.value(), count=self.count.value(), **common)

    # ---- rendering -------------------------------------------------------------------------------
    def schedule(self, *_args) -> None:
        """Regenerate once the controls have been still for a moment."""
        self._debounce.start()

    def regenerate(self) -> None:
        """Ask for the controls' picture now; it renders when the worker is free."""
        self._debounce.stop()
        if self._closed:
            return
        self._serial += 1
        request = self.current_request()
        self.status.setText(f"Rendering epoch {request.epoch}: {request.describe()}…")
        if self._thread is not None:
            self._pending = request  # replaces any older waiting request
        else:
            self._start(request)

    def is_idle(self) -> bool:
        """Nothing waiting, nothing rendering."""
        return self._thread is None and self._pending is None and not self._debounce.isActive()

    def _start(self, request: GenerateRequest) -> None:
        self._pending = None
        self._worker = RenderWorker(self.run, self.cache, request)
        self._worker.finished.connect(self._on_rendered)
        self._thread = workers.start(self._worker)
        self.request_started.emit(request)

    def _on_rendered(self, outcome: dict) -> None:
        """In the GUI thread: retire the worker (its thread has been told to quit, so the wait is
        short), show the picture if it is still the newest, start the waiting request."""
        request = outcome["request"]
        if self._worker is not None and self._worker.request is request:  # not one stop_and_wait retired
            workers.retire(self._thread, self._worker)
            self._thread = self._worker = None
        if self._closed:
            return
        if self._pending is not None and self._thread is None:
            self._start(self._pending)
        if request.serial != self._serial:
            return  # a newer request is waiting or rendering: this picture is already stale
        self.last_outcome = outcome
        if outcome["message"]:
            self.status.setText(f"Cannot generate from epoch {request.epoch}: {outcome['message']}")
            return
        self.images, self.latents, self.grid, self.nrow = (outcome["images"], outcome["latents"], outcome["grid"],
                                                           outcome["nrow"])
        self.labels = outcome["labels"]
        self.shown_request = request
        self.view.set_row_labels(self.classes if request.pick == "all" else ())
        self.view.set_image(array_to_image(self.grid))
        best = " (the best)" if self.best is not None and outcome["epoch"] == self.best.epoch else ""
        self.status.setText(f"Epoch {outcome['epoch']}{best}: {request.describe()}")
        for button in self.save_buttons.values():
            button.setEnabled(True)
        self.image_shown.emit(request)

    def stop_and_wait(self) -> None:
        """Drop waiting work and wait for the render in progress (closing, quitting)."""
        self._closed = True
        self._debounce.stop()
        self._pending = None
        if self._thread is not None:
            workers.retire(self._thread, self._worker)  # its outcome, still queued, finds the window closed
            self._thread = self._worker = None

    def closeEvent(self, event) -> None:
        self.stop_and_wait()
        super().closeEvent(event)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._closed:  # shown again after a close that kept the window
            self._closed = False
            self.regenerate()

    # ---- saving ----------------------------------------------------------------------------------
    def save(self, kind: str) -> list[Path]:
        """Write the shown images: "png" a grid, "npy" the array, "folder" one PNG each.
        Returns the files written (none when cancelled or failed; a failure is shown in words)."""
        if self.images is None:
            return []
        target = self.ask_save_folder() if kind == "folder" else self.ask_save_file(kind)
        if not target:
            return []
        from workbench.core.outputs.generation import save_images

        where = {"out_dir": Path(target)} if kind == "folder" else {"out": Path(target)}
        written, problem = [], None
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)  # a folder of 1024 PNGs takes a moment
        try:
            written = save_images(self.images, nrow=self.nrow, labels=self.labels, **where)
        except OSError as e:
            problem = describe_write_error(e)
        finally:
            QGuiApplication.restoreOverrideCursor()
        if problem:
            self.show_error("Cannot save", problem)
            return []
        folder = Path(target) if kind == "folder" else Path(target).parent
        ui_settings().setValue(LAST_DIR_KEY, str(folder))
        self.status.setText(f"Saved {words.count(len(self.images), 'image')} to {target}")
        return written

    def default_name(self, ext: str) -> str:
        request = self.shown_request or self.current_request()
        return f"{self.run.id}-epoch{request.epoch:04d}-{request.slug()}.{ext}"

    # ---- questions to the user (replace in tests) ------------------------------------------------
    def ask_save_file(self, kind: str) -> str | None:
        """A file name for `kind` ("png" or "npy"), with its extension; None when cancelled."""
        title, filters = SAVE_KINDS[kind]
        start = Path(read_str(ui_settings(), LAST_DIR_KEY)) / self.default_name(kind)
        path, _ = QFileDialog.getSaveFileName(self, title, str(start), filters)
        if path and not path.lower().endswith(f".{kind}"):
            path += f".{kind}"
        return path or None

    def ask_save_folder(self) -> str | None:
        folder = QFileDialog.getExistingDirectory(self, "Save PNGs into folder", read_str(ui_settings(), LAST_DIR_KEY))
        return folder or None

    def show_error(self, title: str, text: str) -> None:
        QMessageBox.warning(self, title, text)


__all__ = ["GenerateWindow", "best_text", "epoch_text"]
