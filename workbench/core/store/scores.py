"""The scores of an epoch's metrics line, under the names this release gives them; plain JSON,
no torch (the listing reads them).

Releases before the manifold scores wrote the class histogram's normalised entropy as
`coverage`. That word now means Naeem et al.'s coverage, and the entropy is `class_balance`: a
line with `coverage` but neither `precision` nor `class_balance` is an old one, and its
`coverage` is read as the class balance, never as the new coverage. Every reader of
metrics.jsonl goes through `current_names`.
"""

from __future__ import annotations

#: fidelity (precision, density) and diversity (recall, coverage) against the reference features
MANIFOLD_KEYS = ("precision", "recall", "density", "coverage")
#: the per-epoch numbers a person compares runs by: the Fréchet score first
SCORE_KEYS = ("quality", *MANIFOLD_KEYS, "class_balance")
OLD_CLASS_BALANCE_KEY = "coverage"
#: a conditional run's own scores (`evaluation.conditional`): asked-for class hit, intra-class Fréchet
CONDITIONAL_KEYS = ("class_accuracy", "intra_quality")


def is_old_line(entry: dict) -> bool:
    """Whether `entry` was written before the rename (its `coverage` is the class balance)."""
    return OLD_CLASS_BALANCE_KEY in entry and "precision" not in entry and "class_balance" not in entry


def current_names(entry: dict) -> dict:
    """`entry` with an old line's `coverage` renamed `class_balance` (in its place, so a line
    rewritten by this release keeps its order); any other entry is returned as it is."""
    if not is_old_line(entry):
        return entry
    return {("class_balance" if k == OLD_CLASS_BALANCE_KEY else k): v for k, v in entry.items()}


def number_or_none(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def scores_of(entry: dict) -> dict:
    """SCORE_KEYS → the entry's number, or None when it has none (not evaluated, an old line's
    manifold scores)."""
    entry = current_names(entry)
    return {key: number_or_none(entry.get(key)) for key in SCORE_KEYS}


def conditional_scores_of(entry: dict) -> dict:
    """CONDITIONAL_KEYS → the entry's number, or None (an unconditional run's lines)."""
    return {key: number_or_none(entry.get(key)) for key in CONDITIONAL_KEYS}
