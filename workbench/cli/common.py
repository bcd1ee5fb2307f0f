"""What every command shares: the exit statuses, the user-facing error, finding a run, and
number formatting for tables."""

from __future__ import annotations

import re

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_STOPPED = 0, 1, 2, 130


class CliError(Exception):
    """A user-facing problem: printed as one message, exit status attached."""

    def __init__(self, message: str, status: int = EXIT_FAILED):
        super().__init__(message)
        self.status = status


def store_get(key: str):
    from workbench.core.store.runs import RunNotFound, RunStore

    try:
        return RunStore().get(key)
    except RunNotFound as e:
        raise CliError(str(e)) from None


def fmt(value, spec="8.4f") -> str:
    """A number in a table column; '-' of the column's width when there is none."""
    width = re.match(r"\d*", spec).group()
    return format(value, spec) if isinstance(value, (int, float)) else f"{'-':>{width}}"


#: the scores besides the Fréchet score, as table columns: metrics.jsonl key → header
SCORE_HEADERS = {"precision": "precision", "recall": "recall", "density": "density", "coverage": "coverage",
                 "class_balance": "balance"}
SCORES_NOTE = ("precision and density: how real the samples look; recall and coverage: how much of the real "
               "images they cover (all 0 to 1 but density, about 1 for real images); balance: how evenly the "
               "classes come (1 = every class equally often)")


def scores_header(keys=tuple(SCORE_HEADERS)) -> str:
    return "  ".join(f"{SCORE_HEADERS[k]:>{max(len(SCORE_HEADERS[k]), 5)}}" for k in keys)


def score_columns(scores: dict, keys=tuple(SCORE_HEADERS)) -> str:
    """The scores of `keys` under `scores_header(keys)`; '-' where a score is missing."""
    return "  ".join(fmt(scores.get(k), f"{max(len(SCORE_HEADERS[k]), 5)}.3f") for k in keys)


def collapse_judge():
    """`judge(class_hist, dataset)`: the "possible mode collapse" reason in words, or None, by
    the user's thresholds (`settings --collapse-…`), read once."""
    from workbench.core.evaluation.class_balance import CollapseThresholds, collapse_reason

    thresholds = CollapseThresholds.from_settings()
    return lambda hist, dataset: collapse_reason(hist, thresholds, dataset) if hist else None
