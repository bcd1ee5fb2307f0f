"""Export a run as a plain folder a person can open without the app: config, run info,
metrics as CSV, the sample grids and the generator weights: the latest epoch's, and the best
epoch's beside them when the run keeps one (`generator-best.pt`, with `best.json`).

Shared by the CLI `export` command and the run browser. Works on damaged runs too: whatever
is readable is exported and what is missing is said in `export.txt`. Torch is imported only
to copy the generator weights.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

from workbench.core import words
from workbench.core.atomic import write_bytes
from workbench.core.store.best_epoch import CHECKPOINT_NAME, RECORD_NAME, read_best, write_record
from workbench.core.store.scores import SCORE_KEYS

METRIC_COLUMNS = ("epoch", "d_loss", "g_loss", "d_real", "d_fake", "images_per_sec", "seconds", *SCORE_KEYS,
                  "confidence")


class ExportedFiles(list):
    """The paths written (a plain list of Path), plus `notes` on what was skipped and why."""

    def __init__(self):
        super().__init__()
        self.notes: list[str] = []


def metrics_csv(epochs: list[dict]) -> str:
    """Per-epoch metrics as CSV text; per-batch traces are left out (they stay in metrics.jsonl)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(METRIC_COLUMNS)
    for entry in epochs:
        writer.writerow(["" if entry.get(c) is None else entry.get(c) for c in METRIC_COLUMNS])
    return buffer.getvalue()


def export_run(run, out_dir) -> list[Path]:
    """Write the run's files into `out_dir` (created if needed); returns the paths written.

    The returned list is an `ExportedFiles` whose `.notes` say what could not be exported
    (no checkpoint yet, damaged metrics...); the same notes are written to `export.txt`.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = ExportedFiles()

    for name in ("config.json", "run.json"):
        source = run.path / name
        if source.is_file():
            shutil.copyfile(source, out / name)
            written.append(out / name)
        else:
            written.notes.append(f"{name} is missing from the run folder; not exported.")

    log = run.metrics()
    write_bytes(out / "metrics.csv", metrics_csv(log.epochs).encode("utf-8"))
    written.append(out / "metrics.csv")
    if log.problem:
        readable = words.count(len(log.epochs), "readable epoch")
        written.notes.append(f"metrics.csv has the {readable} only: {log.problem}.")

    epochs = run.sample_epochs()
    if epochs:
        (out / "samples").mkdir(exist_ok=True)
        for epoch in epochs:
            target = out / "samples" / run.sample_file(epoch).name
            shutil.copyfile(run.sample_file(epoch), target)
            written.append(target)
    else:
        written.notes.append("The run has no sample grids yet.")

    if not run.latest_checkpoint.exists():
        written.notes.append("No checkpoint yet, so no generator weights (generator.pt) were exported.")
    elif weights := _export_generator(run.latest_checkpoint, out / "generator.pt", written.notes):
        written.append(weights)
    best = read_best(run.checkpoints_dir)
    if best is not None and _export_generator(run.checkpoints_dir / CHECKPOINT_NAME, out / "generator-best.pt",
                                              written.notes):
        write_record(out, best)
        written.extend([out / "generator-best.pt", out / RECORD_NAME])

    if written.notes:
        text = f"Exported from GAN Workbench run {run.id}.\n\n" + "\n".join(
            f"- {note}" for note in written.notes) + "\n"
        write_bytes(out / "export.txt", text.encode("utf-8"))
        written.append(out / "export.txt")
    return written


def _export_generator(checkpoint: Path, target: Path, notes: list[str]) -> Path | None:
    """The generator's state dict from a checkpoint (the averaged one when the run keeps an
    average), loadable with weights_only=True."""
    import torch

    from workbench.core.nets.averaging import sampling_weights
    from workbench.core.store.checkpoints import CheckpointError, load_checkpoint

    try:
        state = load_checkpoint(checkpoint, "cpu")
    except CheckpointError as e:
        notes.append(f"Generator weights ({target.name}) not exported: {e}")
        return None
    buffer = io.BytesIO()
    torch.save(sampling_weights(state), buffer)
    write_bytes(target, buffer.getvalue())
    return target
