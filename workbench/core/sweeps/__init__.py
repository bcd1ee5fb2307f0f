"""Sweeps: a base config and lists of values for some of its fields, trained as ordinary runs one
after another and ranked by image quality.

`grid` parses and expands the values, `store` keeps the sweep folder, `runner` trains it,
`studies` holds the built-in ones, `estimate` says how long it will take.
"""

from workbench.core.sweeps.grid import (
    Axis,
    Point,
    expand,
    parse_axes,
    parse_axis,
    run_count,
    scored_base,
)
from workbench.core.sweeps.runner import SweepEnded, SweepRunner, SweepRunStarted
from workbench.core.sweeps.store import (
    Sweep,
    SweepBusy,
    SweepNotFound,
    SweepRow,
    SweepStatus,
    SweepStore,
    run_is_done,
)
from workbench.core.sweeps.studies import STUDIES, Study, study

__all__ = [
    "Axis", "Point", "expand", "parse_axes", "parse_axis", "run_count", "scored_base", "SweepEnded", "SweepRunner",
    "SweepRunStarted", "Sweep", "SweepBusy", "SweepNotFound", "SweepRow", "SweepStatus", "SweepStore",
    "run_is_done",
    "STUDIES", "Study", "study",
]
