"""The training doctor: names what is going wrong in a run from its measured signals.

`diagnosis` holds what a finding is (`Diagnosis`, `Suggestion`) and what each condition means
to a learner; `signals` reads windows of epochs and batches from metrics lines; `rules` turns
them into findings (`diagnose`), each with its evidence, a confidence and config deltas to try;
`stored` diagnoses a run on disk (`diagnose_run`, `checkup`). Plain Python, no torch: the
window calls it after every epoch and the command line on any stored run.
"""

from workbench.core.doctor.diagnosis import CONDITIONS, Condition, Diagnosis, Suggestion
from workbench.core.doctor.rules import Thresholds, diagnose, unmeasured
from workbench.core.doctor.stored import checkup, diagnose_run, diverged_at

__all__ = ["CONDITIONS", "Condition", "Diagnosis", "Suggestion", "Thresholds", "checkup", "diagnose",
           "diagnose_run", "diverged_at", "unmeasured"]
