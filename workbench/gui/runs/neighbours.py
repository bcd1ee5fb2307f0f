"""The near-copies strip of the Runs tab: a window listing one class's generated samples (those
nearest the training set first), each beside its three nearest training images with their
distances, opened by a click on a grid sample (its class) or on a class histogram bar.

The core computes the strip (`core.evaluation.run_neighbours`) in a `NeighboursWorker` off the
GUI thread, under a progress bar with Cancel; torch is imported only inside the worker. The
window only shows what comes back, and says so in words when it cannot.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from workbench.core.store.runs import Run
from workbench.gui import workers
from workbench.gui.plots.grid_view import array_to_image

ZOOM = 3  # screen pixels per image pixel: a 28 px digit is 84 px
NEAR_COPY_COLOR = "#c62828"


@dataclass(frozen=True)
class StripRequest:
    """Which strip to compute: the class `klass` of `epoch`, or the class of the grid sample at
    pixel (`x`, `y`) of its grid; on `samples` generated images (None: the core's default)."""

    run: Run
    name: str
    dataset: str
    epoch: int
    klass: int | None = None
    x: int = 0
    y: int = 0
    samples: int | None = None

    def describe(self) -> str:
        from workbench.core.evaluation.class_balance import class_name

        what = class_name(self.dataset, self.klass) if self.klass is not None else "the clicked sample's class"
        return f"{self.name}, epoch {self.epoch}: {what}"


class NeighboursWorker(workers.CancellableWorker):
    """Computes one strip. `finished` carries {"request", "strip": dict | None, "message"}."""

    def __init__(self, request: StripRequest, parent=None):
        super().__init__(parent)
        self.request = request

    @property
    def thread_name(self) -> str:
        return f"neighbours-{self.request.run.id}"

    def work(self) -> dict:
        from workbench.core.data.datasets import DatasetMissing
        from workbench.core.evaluation import run_neighbours  # torch loads here
        from workbench.core.evaluation.classifier import EvaluationCancelled
        from workbench.core.store.checkpoints import CheckpointError

        r = self.request
        options = {"progress": self._progress, "cancel": self.cancelled}
        if r.samples is not None:
            options["samples"] = r.samples
        try:
            if r.klass is not None:
                strip = run_neighbours.strip_for_class(r.run, r.epoch, r.klass, **options)
            else:
                strip = run_neighbours.strip_for_grid_sample(r.run, r.epoch, r.x, r.y, **options)
        except EvaluationCancelled:
            return self._outcome(message="Cancelled.")
        except (CheckpointError, DatasetMissing, ValueError, OSError) as e:
            return self._outcome(message=str(e))  # expected trouble, said in words without a traceback
        return self._outcome(strip=strip)

    def crash_result(self, error: Exception) -> dict:
        return self._outcome(message=f"{type(error).__name__}: {error}")

    def _progress(self, fraction: float, text: str) -> None:
        from workbench.core.evaluation.classifier import EvaluationCancelled

        if self.cancelled():  # stop at the next step the core reports
            raise EvaluationCancelled("cancelled")
        self.progress.emit(max(0.0, min(1.0, fraction)), text)

    def _outcome(self, strip: dict | None = None, message: str = "") -> dict:
        return {"request": self.request, "strip": strip, "message": message}


def image_label(pixels, parent: QWidget, zoom: int = ZOOM) -> QLabel:
    """A small image, enlarged with hard pixel edges."""
    label = QLabel(parent)
    image = array_to_image(pixels)
    pixmap = QPixmap.fromImage(image.scaled(image.width() * zoom, image.height() * zoom,
                                            Qt.AspectRatioMode.KeepAspectRatio,
                                            Qt.TransformationMode.FastTransformation))
    label.setPixmap(pixmap)
    label.setFixedSize(pixmap.size())  # never squeezed: a digit keeps its shape
    return label


class NeighboursStrip(QDialog):
    """The strip window: one request at a time; a new one while busy cancels the running one and
    starts when it has stopped. `measured(run_id)` says the epoch's ratio was stored."""

    measured = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Near-copies of the training set")
        self.setObjectName("neighboursStrip")
        self.heading = QLabel(self)
        self.heading.setObjectName("stripHeading")
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.status = QLabel(self)
        self.status.setObjectName("stripStatus")
        self.status.setWordWrap(True)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setRange(0, 1000)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress_row = QWidget(self)
        row = QHBoxLayout(self.progress_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.progress_bar, 1)
        row.addWidget(self.cancel_button)
        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.progress_row)
        layout.addWidget(self.status)
        layout.addWidget(self.scroll, 1)
        layout.addWidget(buttons)
        self.resize(660, 780)
        self.strip: dict | None = None
        self.message = ""
        self.shown_rows: list[tuple[QLabel, list[QLabel]]] = []  # (sample, its neighbours) as shown
        self._clear_rows()
        self._worker: NeighboursWorker | None = None
        self._thread = None
        self._pending: StripRequest | None = None
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.stop_and_wait)

    # ---- the job ------------------------------------------------------------------------------
    def request(self, request: StripRequest) -> None:
        """Show the strip `request` asks for, computed in the background."""
        self.setWindowTitle(f"Near-copies of the training set — {request.name}")
        self.heading.setText(f"<b>{request.describe()}</b>")
        self._clear_rows()
        self.strip, self.message = None, ""
        self.status.setText("Preparing the feature classifier and the training images' features…")
        self.progress_bar.setRange(0, 0)  # busy until the core reports a step
        self.progress_row.show()
        self.cancel_button.setEnabled(True)
        if self._worker is not None:
            self._pending = request
            self._worker.cancel()
            return
        self._start(request)

    def is_busy(self) -> bool:
        return self._worker is not None or self._pending is not None

    def cancel(self) -> None:
        self._pending = None
        if self._worker is not None:
            self._worker.cancel()
            self.cancel_button.setEnabled(False)
            self.status.setText("Cancelling…")

    def stop_and_wait(self) -> None:
        """Cancel and wait for the worker (quitting); its outcome is dropped."""
        self._pending = None
        if self._worker is not None:
            self._worker.cancel()
            thread, worker = self._thread, self._worker
            self._worker = self._thread = None
            workers.retire(thread, worker)

    def closeEvent(self, event) -> None:
        self.cancel()  # the worker stops at its next step and is retired then; nothing waits here
        super().closeEvent(event)

    def _start(self, request: StripRequest) -> None:
        self._worker = NeighboursWorker(request)
        self._worker.progress.connect(self._on_progress)
        self._worker.finished.connect(self._on_finished)
        self._thread = workers.start(self._worker)

    def _on_progress(self, fraction: float, text: str) -> None:
        if self._worker is None or self._worker.cancelled():
            return
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setValue(round(1000 * fraction))
        self.status.setText(text[:1].upper() + text[1:] + "…")

    def _on_finished(self, outcome: dict) -> None:
        if self._worker is None or outcome["request"] is not self._worker.request:
            return  # retired by stop_and_wait
        workers.retire(self._thread, self._worker)  # its thread has been told to quit: a short wait
        self._worker = self._thread = None
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self._start(pending)
            return
        self.progress_row.hide()
        self.message = outcome["message"]
        if outcome["strip"] is None:
            self.status.setText(f"Cannot show near-copies: {self.message}" if self.message != "Cancelled."
                                else "Cancelled.")
            return
        self.show_strip(outcome["strip"])
        if not outcome["strip"].get("note"):
            self.measured.emit(outcome["request"].run.id)

    # ---- showing ------------------------------------------------------------------------------
    def show_strip(self, strip: dict) -> None:
        """Lay out a strip the core computed (see `run_neighbours.class_strip`)."""
        from workbench.core.evaluation.stored import describe_memorisation

        self.strip = strip
        self._clear_rows()
        m, name = strip["memorisation"], strip["class_name"]
        clicked = strip.get("clicked")
        lead = f"The sample you clicked (#{clicked['index'] + 1} of the grid) is a {name}; below it, " if clicked \
            else ""
        self.heading.setText(
            f"<b>Epoch {strip['epoch']}: {name}</b><br>{lead}"
            f"{'t' if clicked else 'T'}he {len(strip['rows'])} of its {strip['in_class']:,} samples (of "
            f"{strip['samples']:,}) nearest a training image, each beside its three nearest training images. "
            f"Distances are in the classifier's features: <span style='color:{NEAR_COPY_COLOR}'>below "
            f"{m['threshold']:.2f}</span>, a sample is nearer a training image than {1 - m['baseline']:.0%} of "
            f"held-out images are.")
        note = f" ({strip['note']})" if strip.get("note") else ""
        self.status.setText(f"Near-copies, epoch {m['epoch']}: {describe_memorisation(m, strip.get('dataset', ''))}."
                            f"{note}" if m else note)
        rows = ([("clicked", clicked)] if clicked else []) + [("", row) for row in strip["rows"]]
        if rows:
            columns = (QLabel("generated", self.rows_widget),
                       QLabel("its three nearest training images: distance, training image #, class", self.rows_widget))
            for column in columns:
                column.setStyleSheet("color: #777;")
            self.rows_layout.addWidget(columns[0], 0, 0, Qt.AlignmentFlag.AlignCenter)
            self.rows_layout.addWidget(columns[1], 0, 2, 1, 3, Qt.AlignmentFlag.AlignCenter)
        for i, (kind, row) in enumerate(rows):
            self._add_row(i + 1, kind, row)
        if not strip["rows"] and not clicked:
            self.rows_layout.addWidget(QLabel(f"None of the samples is a {name}.", self.rows_widget), 0, 0)

    def _add_row(self, i: int, kind: str, row: dict) -> None:
        parent = self.rows_widget
        sample = image_label(row["image"], parent)
        caption = "<b>clicked</b>" if kind else ""
        if row["near_copy"]:
            caption += f"<br><span style='color:{NEAR_COPY_COLOR}'>near-copy</span>"
        caption = caption.removeprefix("<br>") or " "
        self.rows_layout.addWidget(self._cell(sample, caption), i, 0)
        arrow = QLabel("→", parent)
        arrow.setStyleSheet("color: #777; font-size: 16pt;")
        self.rows_layout.addWidget(arrow, i, 1)
        shown = []
        for j, n in enumerate(row["neighbours"]):
            label = image_label(n["image"], parent)
            colour = f" style='color:{NEAR_COPY_COLOR}'" if n["distance"] < self.strip["memorisation"]["threshold"] \
                else ""
            self.rows_layout.addWidget(self._cell(label, f"<span{colour}>{n['distance']:.2f}</span><br>"
                                                         f"#{n['row']:,}, {n['label_name']}"), i, 2 + j)
            shown.append(label)
        self.shown_rows.append((sample, shown))

    def _cell(self, image: QLabel, caption: str) -> QWidget:
        cell = QWidget(self.rows_widget)
        layout = QVBoxLayout(cell)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(image, 0, Qt.AlignmentFlag.AlignHCenter)
        text = QLabel(caption, cell)
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text.setStyleSheet("color: #444;")
        layout.addWidget(text)
        return cell

    def _clear_rows(self) -> None:
        """A new, empty page of rows (the scroll area deletes the old one)."""
        self.shown_rows = []
        self.rows_widget = QWidget()
        self.rows_layout = QGridLayout(self.rows_widget)
        self.rows_layout.setHorizontalSpacing(14)
        self.rows_layout.setSizeConstraint(QLayout.SizeConstraint.SetMinAndMaxSize)  # scrolls, never squeezes
        self.scroll.setWidget(self.rows_widget)


__all__ = ["NeighboursStrip", "NeighboursWorker", "StripRequest"]
