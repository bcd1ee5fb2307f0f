"""Comparing runs without Qt: config differences, summary numbers, image-quality ranking and the
overlaid curves as CSV. The compare view shows these; anything it can export, a script can too."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from workbench.core.config import TrainConfig, field_names
from workbench.core.store.best_epoch import BestEpoch, score_of
from workbench.core.store.scores import CONDITIONAL_KEYS, SCORE_KEYS, conditional_scores_of, scores_of

#: an epoch's scores as compared: every run's, then a conditional run's own (None for the others)
COMPARED_KEYS = (*SCORE_KEYS, *CONDITIONAL_KEYS)
CURVE_COLUMNS = ("epoch", "run", "d_loss", "g_loss", *COMPARED_KEYS, "run_id")
QUALITY_KEYS = ("best_quality", "best_epoch", "final_quality", "at_best", "final")


class DiffRow(NamedTuple):
    field: str
    values: list
    differs: bool


def _as_dict(config) -> dict:
    if isinstance(config, TrainConfig):
        return config.to_dict()
    return dict(config or {})


def config_diff(configs) -> list[DiffRow]:
    """One row per config field (TrainConfig order, then unknown keys), with each config's
    value (None when absent) and whether they differ. Values compare as JSON, so [64, 128]
    equals (64, 128) and 1 equals 1.0 only when JSON says so."""
    dicts = [_as_dict(c) for c in configs]
    names = field_names()
    extra = sorted({k for d in dicts for k in d if k not in names})
    rows = []
    for name in names + extra:
        values = [d.get(name) for d in dicts]
        keys = {json.dumps(_normalise(v), sort_keys=True) for v in values}
        rows.append(DiffRow(name, values, len(keys) > 1))
    return rows


def _normalise(value):
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def run_stats(epochs: list[dict], train_seconds: float | None = None) -> dict:
    """The summary block of a comparison: epochs, final losses, train time, mean images/s and
    the quality stats (`quality_stats`)."""
    last = epochs[-1] if epochs else {}
    speeds = [e["images_per_sec"] for e in epochs if isinstance(e.get("images_per_sec"), (int, float))]
    if train_seconds is None:
        seconds = [e["seconds"] for e in epochs if isinstance(e.get("seconds"), (int, float))]
        train_seconds = sum(seconds) if seconds else None
    return {
        "epochs": len(epochs),
        "final_d_loss": last.get("d_loss"),
        "final_g_loss": last.get("g_loss"),
        "train_seconds": train_seconds,
        "images_per_sec": sum(speeds) / len(speeds) if speeds else None,
        **quality_stats(epochs),
    }


def _score(value) -> float | None:
    """A finite number from a metrics line, else None (absent, null, NaN, text, bool)."""
    return score_of(value)


def scored_epochs(epochs: list[dict]) -> list[dict]:
    """The epochs (metrics entries) that carry a Fréchet score; runs trained without
    evaluation have none."""
    return [e for e in epochs if _score(e.get("quality")) is not None]


def epoch_scores(entry: dict) -> dict:
    """COMPARED_KEYS → the epoch's finite number or None (an old line's `coverage` is its class
    balance: see `store.scores`; an unconditional run has no class accuracy)."""
    scores = scores_of(entry) | conditional_scores_of(entry)
    return {key: _score(value) for key, value in scores.items()}


def quality_stats(epochs: list[dict]) -> dict:
    """Best Fréchet score (lower is better; the earliest epoch on a tie), its epoch and all the
    scores there (`at_best`, as `epoch_scores`), and the score and scores of the last scored
    epoch (`final_quality`, `final`). None, and scores all None, when no epoch was scored."""
    scored = scored_epochs(epochs)
    if not scored:
        return {"best_quality": None, "best_epoch": None, "final_quality": None,
                "at_best": dict.fromkeys(COMPARED_KEYS), "final": dict.fromkeys(COMPARED_KEYS)}
    best = min(scored, key=lambda e: e["quality"])
    last = scored[-1]
    return {
        "best_quality": best["quality"],
        "best_epoch": best.get("epoch"),
        "final_quality": last["quality"],
        "at_best": epoch_scores(best),
        "final": epoch_scores(last),
    }


def grid_epoch(sample_epochs: list[int], epoch: int, best: BestEpoch | None = None) -> tuple[int | None, str]:
    """(the epoch whose grid a compared run shows at the shared `epoch`, its caption): the run's
    `best` epoch when given and it has a grid; else `epoch`, or the nearest earlier one the run
    has (a shorter run stays at its last, and says so)."""
    if best is not None and best.epoch in sample_epochs:
        return best.epoch, f"epoch {best.epoch} (best, {best.quality:.2f})"
    if not sample_epochs:
        return None, "no samples"
    lower = [e for e in sample_epochs if e <= epoch]
    shown = lower[-1] if lower else sample_epochs[0]
    return shown, f"epoch {shown}{' (last)' if shown == sample_epochs[-1] and epoch >= shown else ''}"


def rank_by_quality(items, key: Callable[[object], float | None] = lambda stats: stats["best_quality"]) -> list:
    """`items` ordered by best quality, lowest (best) first; items without a score (key gives
    None) come after, and ties keep their given order. `key` reads an item's best quality;
    by default items are `quality_stats`/`run_stats` dicts."""
    items = list(items)
    scores = [_score(key(item)) for item in items]
    order = sorted(range(len(items)), key=lambda i: (scores[i] is None, scores[i] or 0.0))
    return [items[i] for i in order]


def curve_rows(curves) -> list[tuple]:
    """Rows (epoch, run name, d_loss, g_loss, the COMPARED_KEYS, run id) from
    [(run_id, name, epochs), ...]; the scores are None for epochs not scored."""
    rows = []
    for run_id, name, epochs in curves:
        for e in epochs:
            rows.append((e.get("epoch"), name, e.get("d_loss"), e.get("g_loss"), *epoch_scores(e).values(), run_id))
    return rows


def curves_csv(curves) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CURVE_COLUMNS)
    for row in curve_rows(curves):
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue()


def write_curves_csv(curves, path) -> Path:
    """Write the overlaid curves of [(run_id, name, epochs), ...] as one long-format CSV."""
    from workbench.core.atomic import write_bytes

    path = Path(path)
    write_bytes(path, curves_csv(curves).encode("utf-8"))
    return path


def run_curves(runs) -> list[tuple]:
    """[(run_id, name, epochs)] read from Run objects (JSON only, no torch)."""
    out = []
    for run in runs:
        out.append((run.id, run.summary().name, run.metrics().epochs))
    return out
