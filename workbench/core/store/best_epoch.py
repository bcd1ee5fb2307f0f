"""The best epoch a run keeps, read and written without torch.

    checkpoints/best.pt     a copy of the checkpoint of the epoch with the lowest Fréchet score
                            (`quality`) so far: everything an epoch checkpoint holds
    checkpoints/best.json   {"epoch": 9, "quality": 1.84, "classifier_version": 3}: which epoch
                            best.pt holds, its score and the classifier version that scored it,
                            for listing runs without torch

GAN quality oscillates, so the last epoch is often not the best one: a run keeps its best
whatever comes after. Scores of two classifier versions are on different scales, so a score of
another version than the kept best's (or of a record that names none, from before versions were
kept) replaces it: the newest classifier decides. Both files are written atomically, best.pt first: a process killed
between the two leaves a best.json that disagrees with best.pt, and then best.pt (its own
`epoch`) is right; the next resume or `check --repair` rewrites best.json from it
(`core.store.best_checkpoint`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from workbench.core.atomic import write_bytes, write_json

CHECKPOINT_NAME = "best.pt"
RECORD_NAME = "best.json"


@dataclass(frozen=True)
class BestEpoch:
    """Which epoch best.pt holds and its Fréchet score (lower is better)."""

    epoch: int
    quality: float
    #: the classifier version that made the score (None: not recorded); not part of equality, so
    #: a record is checked against best.pt by epoch and score
    classifier_version: int | None = field(default=None, compare=False)

    def describe(self) -> str:
        """How tables show it: "9 (1.84)"."""
        return f"{self.epoch} ({self.quality:.2f})"


def score_of(value) -> float | None:
    """A finite Fréchet score, else None (absent, null, NaN, text, bool)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def beats(quality, best: BestEpoch | None, classifier_version: int | None = None) -> bool:
    """Whether a score would replace the kept best: strictly lower, so a tie keeps the earlier;
    a score of another classifier version than the best's always (see the module's note)."""
    quality = score_of(quality)
    if quality is None:
        return False
    if best is None or (classifier_version is not None and best.classifier_version != classifier_version):
        return True
    return quality < best.quality


def read_best(checkpoints_dir: Path) -> BestEpoch | None:
    """The run's best epoch from best.json; None when the run keeps none (or either file is
    missing or best.json is unreadable)."""
    folder = Path(checkpoints_dir)
    try:
        record = json.loads((folder / RECORD_NAME).read_text(encoding="utf-8"))
        epoch, quality = record["epoch"], score_of(record["quality"])
        version = record.get("classifier_version")
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
    if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 1 or quality is None:
        return None
    version = version if isinstance(version, int) and not isinstance(version, bool) else None
    return BestEpoch(epoch, quality, version) if (folder / CHECKPOINT_NAME).is_file() else None


def write_record(checkpoints_dir: Path, best: BestEpoch) -> None:
    record = {"epoch": best.epoch, "quality": best.quality}
    if best.classifier_version is not None:
        record["classifier_version"] = best.classifier_version
    write_json(Path(checkpoints_dir) / RECORD_NAME, record)


def keep_as_best(checkpoints_dir: Path, best: BestEpoch, source: Path) -> None:
    """Copy `source`, the checkpoint of `best.epoch`, into best.pt, then say so in best.json."""
    folder = Path(checkpoints_dir)
    write_bytes(folder / CHECKPOINT_NAME, Path(source).read_bytes())
    write_record(folder, best)


def offer_best(checkpoints_dir: Path, epoch: int, quality, source: Path, classifier_version: int | None = None) -> bool:
    """Keep `source` (the checkpoint of `epoch`, just written) as the best when its score beats
    the kept best's; returns whether it did. An epoch that was not scored changes nothing."""
    if not beats(quality, read_best(checkpoints_dir), classifier_version):
        return False
    keep_as_best(checkpoints_dir, BestEpoch(epoch, score_of(quality), classifier_version), source)
    return True


def drop_best(checkpoints_dir: Path) -> None:
    """Remove both files; best.json first, so no record outlives its checkpoint."""
    for name in (RECORD_NAME, CHECKPOINT_NAME):
        (Path(checkpoints_dir) / name).unlink(missing_ok=True)


def trim_best(checkpoints_dir: Path, epoch: int) -> list[str]:
    """Drop the kept best when its epoch is beyond `epoch` (trimming a run back to its latest
    checkpoint); a best at or before it stays. Returns what changed, in words."""
    best = read_best(checkpoints_dir)
    if best is None:  # a best.pt without its record is settled by what can read it, unless no epoch is left
        if epoch > 0 or not (Path(checkpoints_dir) / CHECKPOINT_NAME).exists():
            return []
        drop_best(checkpoints_dir)
        return ["removed the best checkpoint (no epoch is recorded)"]
    if best.epoch <= epoch:
        return []
    drop_best(checkpoints_dir)
    return [f"removed the best checkpoint (epoch {best.epoch}, beyond epoch {epoch})"]


__all__ = ["BestEpoch", "CHECKPOINT_NAME", "RECORD_NAME", "beats", "drop_best", "keep_as_best", "offer_best",
           "read_best", "score_of", "trim_best", "write_record"]
