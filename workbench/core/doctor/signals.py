"""Windows over a run's metrics lines: the numbers the doctor's rules read. A finding needs a
window (several epochs, or most of an epoch's batches), never one noisy point."""

from __future__ import annotations

import math

from workbench.core.store.scores import number_or_none


def value(entry: dict, key: str) -> float | None:
    return number_or_none(entry.get(key))


def is_finite(x) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


def batch_points(entry: dict, key: str) -> list[float]:
    """An epoch's per-batch trace (`batch_g_loss`…), or its mean alone when it has no trace."""
    trace = entry.get(f"batch_{key}")
    if isinstance(trace, list) and trace:
        return [float(x) for x in trace if isinstance(x, (int, float))]
    mean = value(entry, key)
    return [] if mean is None else [mean]


def share(points: list[float], test) -> float:
    """The fraction of `points` that pass `test` (0 when there are none)."""
    return sum(1 for p in points if test(p)) / len(points) if points else 0.0


def first_streak(flags: list[bool], need: int) -> tuple[int, int] | None:
    """(first, last) index of the first run of at least `need` consecutive True flags."""
    start = None
    for i, flag in enumerate(flags + [False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            if i - start >= need:
                return start, i - 1
            start = None
    return None


def scored(entries: list[dict], key: str) -> list[tuple[int, float]]:
    """(epoch, value) of the epochs that have a finite `key` score."""
    out = []
    for entry in entries:
        v = value(entry, key)
        if v is not None and math.isfinite(v):
            out.append((int(entry["epoch"]), v))
    return out


def top_share(hist) -> tuple[int, float] | None:
    """(class, share of samples) of a class histogram's biggest class."""
    if not isinstance(hist, list) or not hist or sum(hist) <= 0:
        return None
    top = max(range(len(hist)), key=lambda i: hist[i])
    return top, hist[top] / sum(hist)


def settled(entries: list[dict], warm_up_images: float) -> list[dict]:
    """The entries after the run's first `warm_up_images` trained images (an epoch's images
    from its speed and duration): every recipe's samples are poor and its class mix uneven that
    early, so collapse and a weak D are judged after it. Lines without a speed count as settled."""
    seen = 0.0
    for i, entry in enumerate(entries):
        if seen >= warm_up_images:
            return entries[i:]
        rate, seconds = value(entry, "images_per_sec"), value(entry, "seconds")
        if rate is None or seconds is None:
            return entries[i:]
        seen += rate * seconds
    return []


def epochs_text(first: int, last: int) -> str:
    return f"epoch {first}" if first == last else f"epochs {first}–{last}"


def confidence(held: int, need: int, margin: float = 1.0) -> float:
    """How sure: 0.6 when the condition held just the window it needs, rising with each epoch
    it held longer and with how far past its thresholds it was (`margin`, 0..1), at most 0.95."""
    return round(min(0.95, 0.45 + 0.15 * max(0, held - need + 1) + 0.15 * max(0.0, min(1.0, margin))), 2)
