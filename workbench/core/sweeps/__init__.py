"""Sweeps: a base config and values for some of its fields, trained as ordinary runs and ranked
by image quality. Every sweep is an Optuna study: a grid (the product of lists of values) with
the grid sampler, a search with TPE or random sampling.

`grid` parses a grid's axes, `space` turns them (and ranges) into a study's dimensions,
`study_store` makes and finds studies, `study_worker` trains their trials, `study_table` reads
them back; `studies` holds the built-in grids and `estimate` says how long one will take;
`status` names where a sweep stands. `legacy_store` and `legacy_runner` read and resume the
grid sweeps stored before studies (`sweeps/<id>/sweep.json`), and make none.
"""

from workbench.core.sweeps.grid import Axis, parse_axis, scored_base
from workbench.core.sweeps.status import SweepEnded, SweepStatus, sweeps_dir
from workbench.core.sweeps.studies import STUDIES, Study, study

__all__ = ["Axis", "parse_axis", "scored_base", "SweepEnded", "SweepStatus", "sweeps_dir", "STUDIES", "Study", "study"]
