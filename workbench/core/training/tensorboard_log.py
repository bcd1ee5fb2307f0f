"""A run mirrored into TensorBoard's format with torch's own `SummaryWriter`, so the tool our
users already keep open shows every run: live while training (`open_for_training`, in
`<run>/tensorboard/`) and for a finished run (`export_log`). Both go through `RunLog.record`,
which writes one metrics.jsonl entry and its grid PNG, so the two cannot drift apart.

An epoch is written once. A log that already holds epochs (a resumed run, a repeated export)
continues after its last one: TensorBoard draws a repeated step as a jump back, and the
epochs a resume trains again are the same epochs. TensorBoard is an optional extra; without
it opening a log raises `TensorBoardMissing`, and nothing else changes.
"""

from __future__ import annotations

import importlib.util
import io
import json
from pathlib import Path

INSTALL_HINT = "install it with pip install 'gan-workbench[tensorboard]'"
MISSING_MESSAGE = f"TensorBoard logging is off: {INSTALL_HINT}"
FOLDER = "tensorboard"  # inside the run folder

#: metrics.jsonl key → TensorBoard tag of the per-epoch scalars (step = epoch)
EPOCH_TAGS = {
    "d_loss": "loss/D", "g_loss": "loss/G", "d_real": "probability/D(x)", "d_fake": "probability/D(G(z))",
    "quality": "quality/frechet (lower is better)", "precision": "fidelity/precision",
    "density": "fidelity/density", "recall": "diversity/recall", "coverage": "diversity/coverage",
    "class_balance": "quality/class balance", "confidence": "quality/confidence",
    "images_per_sec": "speed/images per second", "seconds": "speed/epoch seconds",
    "class_accuracy": "conditional/class accuracy",  # a conditional run's (`evaluation.conditional`)
    "intra_quality": "conditional/intra-class frechet (lower is better)",
}
TRACE_TAGS = {"batch_d_loss": "batch/loss D", "batch_g_loss": "batch/loss G"}  # step = batch index
IMAGE_TAG = "samples/fixed noise"
CONFIG_TAG = "config"
DONE_TAG = EPOCH_TAGS["d_loss"]  # its last step is the last epoch in a log
FALLBACK_SPAN = 100  # trace steps per epoch for runs that did not record their batches per epoch


class TensorBoardMissing(ImportError):
    """The tensorboard extra is not installed (or does not import); the message says how to get it."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(f"{MISSING_MESSAGE} ({reason})")


def available() -> bool:
    """Whether the extra is installed, without importing it (cheap enough for a form)."""
    try:
        return importlib.util.find_spec("tensorboard") is not None
    except (ImportError, ValueError):
        return False


def log_folder(run) -> Path:
    return run.path / FOLDER


def _writer_api():
    try:
        from torch.utils.tensorboard import SummaryWriter
        from torch.utils.tensorboard.summary import hparams
    except ImportError as e:
        raise TensorBoardMissing(str(e)) from None
    return SummaryWriter, hparams


class RunLog:
    """One run's TensorBoard log folder, open for writing; `close()` when done."""

    def __init__(self, run, folder: str | Path):
        self._writer_class, self._hparams = _writer_api()
        self.run = run
        self.folder = Path(folder)
        self.done, self._has_config = written_so_far(self.folder)
        self.config = _config_dict(run)
        try:
            self.batches_per_epoch = int(run.read_info().batches_per_epoch or 0)
        except (OSError, ValueError, TypeError):
            self.batches_per_epoch = 0
        self._writer = None

    @property
    def writer(self):
        """Opened on first use: every SummaryWriter starts a new event file, and a log with
        nothing new to say (a repeated export) should not gain an empty one."""
        if self._writer is None:
            self._writer = self._writer_class(str(self.folder), max_queue=1000, flush_secs=3600)
            if not self._has_config and self.config:
                self._write_config()
                self._has_config = True
        return self._writer

    def record(self, entry: dict, grid_file: Path | None = None) -> bool:
        """Write one metrics.jsonl entry (and its grid PNG) as step `epoch`, then flush so a
        TensorBoard watching the folder shows it now. False when the log already had it."""
        epoch = int(entry["epoch"])
        if epoch <= self.done:
            return False
        w = self.writer
        for key, tag in TRACE_TAGS.items():
            values = entry.get(key) or []
            for step, value in zip(trace_steps(epoch, len(values), self.batches_per_epoch), values):
                w.add_scalar(tag, value, step)
        if grid_file is not None and Path(grid_file).is_file():
            w._get_file_writer().add_summary(_image_summary(IMAGE_TAG, Path(grid_file)), epoch)
        for key, tag in reversed(EPOCH_TAGS.items()):  # DONE_TAG last: written means complete
            value = entry.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                w.add_scalar(tag, value, epoch)
        w.flush()
        self.done = epoch
        return True

    def catch_up(self) -> int:
        """Write the run's recorded epochs the log does not hold yet; returns how many."""
        return sum(self.record(entry, self.run.sample_file(int(entry["epoch"])))
                   for entry in self.run.metrics().epochs if isinstance(entry.get("epoch"), int))

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()

    def _write_config(self) -> None:
        """The config as text (a JSON block) and as hparams, in this folder: `add_hparams`
        would write them to a new timestamped sub-run instead."""
        from workbench.core.config import field_specs

        text = json.dumps(self.config, indent=2)
        self._writer.add_text(CONFIG_TAG, "\n".join("    " + line for line in text.splitlines()), 0)
        values = {k: ", ".join(map(str, v)) if isinstance(v, list) else v for k, v in self.config.items()
                  if isinstance(v, (str, bool, int, float, list))}
        specs = field_specs()
        domains = {k: list(specs[k].choices) for k, v in values.items()
                   if k in specs and specs[k].kind == "choice" and v in specs[k].choices}
        # every run names the same metrics, quality too: TensorBoard takes one run's list for all
        metrics = {tag: None for tag in EPOCH_TAGS.values()}
        file_writer = self._writer._get_file_writer()
        for summary in self._hparams(values, metrics, domains):
            file_writer.add_summary(summary, 0)


def trace_steps(epoch: int, points: int, batches_per_epoch: int) -> list[int]:
    """Global batch index of each trace point: point i of n ends i+1 n-ths into the epoch (the
    trace holds means of equal chunks), so the epochs join into one continuous curve."""
    span = max(batches_per_epoch or FALLBACK_SPAN, points)
    return [(epoch - 1) * span + round((i + 1) * span / points) for i in range(points)]


def written_so_far(folder: Path) -> tuple[int, bool]:
    """(last epoch a log folder holds, whether it holds the config), read from its event files."""
    from tensorboard.backend.event_processing.event_file_loader import (
        LegacyEventFileLoader,
    )

    done, has_config = 0, False
    for path in sorted(Path(folder).glob("events.out.tfevents.*")):
        for event in LegacyEventFileLoader(str(path)).Load():
            for value in event.summary.value:
                if value.tag == DONE_TAG:
                    done = max(done, int(event.step))
                elif value.tag.startswith(CONFIG_TAG + "/"):
                    has_config = True
    return done, has_config


def open_for_training(run, emit) -> RunLog | None:
    """The live log of a run being trained, caught up with the epochs it already has; None
    (after a Notice through `emit`) when TensorBoard is missing or the folder cannot be written,
    so training goes on without it."""
    from workbench.core.events import Notice

    log = None
    try:
        log = RunLog(run, log_folder(run))
        log.catch_up()
    except TensorBoardMissing as e:
        emit(Notice(str(e)))
        return None
    except OSError as e:
        if log is not None:
            log.close()
        emit(Notice(f"TensorBoard logging is off: {e}"))
        return None
    return log


def export_log(run, folder: str | Path) -> int:
    """Write a run's recorded epochs as a TensorBoard log in `folder`; returns how many epochs
    were written (those the folder already held are skipped)."""
    log = RunLog(run, folder)
    try:
        return log.catch_up()
    finally:
        log.close()


def _config_dict(run) -> dict:
    try:
        data = json.loads(run.config_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


_COLOURSPACES = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}  # PIL mode → TensorBoard image channels


def _image_summary(tag: str, png: Path):
    """The grid PNG's own bytes as an image summary: `add_image` would decode it and encode
    greyscale as RGB again, twice the bytes for the same pixels."""
    from PIL import Image
    from tensorboard.compat.proto.summary_pb2 import Summary

    data = png.read_bytes()
    with Image.open(png) as image:  # reads the header only
        width, height, mode = image.width, image.height, image.mode
        if image.format != "PNG" or mode not in _COLOURSPACES:
            out = io.BytesIO()
            image.convert("RGB").save(out, format="PNG")
            data, mode = out.getvalue(), "RGB"
    encoded = Summary.Image(height=height, width=width, colorspace=_COLOURSPACES[mode], encoded_image_string=data)
    return Summary(value=[Summary.Value(tag=tag, image=encoded)])
