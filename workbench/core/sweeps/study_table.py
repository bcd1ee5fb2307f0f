"""A study's trials as a table: one row per planned trial, read from the study storage (and from
each trial's run where this home holds it), ranked by score.

A trial failed by the heartbeat check or by Stop was queued again, so it is shown as "retried"
and not counted; the retry carries on its values and run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from workbench.core.outputs.compare import run_stats
from workbench.core.store.runs import Run, RunStore
from workbench.core.store.scores import SCORE_KEYS
from workbench.core.sweeps.status import SweepStatus
from workbench.core.sweeps.study_store import PLANNED, StudyPlan

#: a trial's state in words, as the tables show it
STATES = {"WAITING": "queued", "RUNNING": "running", "COMPLETE": "complete", "PRUNED": "pruned", "FAIL": "failed"}
RETRIED = "retried"


@dataclass
class TrialRow:
    number: int
    state: str  # STATES' words, or RETRIED
    params: dict  # Optuna's values of the searched parameters
    label: str
    value: float | None  # the best-epoch score of a complete trial
    reason: str | None  # why it was pruned or failed
    run_id: str | None
    epochs_done: int | None  # from the run, where this home holds it
    best_epoch: int | None
    retry_of: int | None  # the first trial this one retries
    intermediate: dict  # epoch → score reported
    at_best: dict = field(default_factory=lambda: dict.fromkeys(SCORE_KEYS))  # the run's scores at its best epoch
    train_seconds: float | None = None  # the run's, where this home holds it
    rank: int | None = None

    def as_json(self) -> dict:
        return dict(vars(self))


def _counts(trial) -> bool:
    """Whether a finished trial is done for good: complete, pruned, or failed for its own reason
    (not a dead worker's or a Stop's failure, which were queued again)."""
    name = trial.state.name
    return name in ("COMPLETE", "PRUNED") or (name == "FAIL" and bool(trial.user_attrs.get("reason")))


def planned_trials(study) -> list:
    return [t for t in study.get_trials(deepcopy=False) if t.user_attrs.get(PLANNED)]


def study_progress(study, plan: StudyPlan) -> tuple[int, int]:
    """(trials done for good, trials planned)."""
    return sum(1 for t in planned_trials(study) if _counts(t)), plan.trials


def study_status(study, plan: StudyPlan) -> SweepStatus:
    trials = planned_trials(study)
    if any(t.state.name == "RUNNING" for t in trials):
        return SweepStatus.RUNNING
    done, total = study_progress(study, plan)
    if done >= total:
        return SweepStatus.FINISHED
    if all(t.state.name == "WAITING" for t in trials):
        return SweepStatus.CREATED
    return SweepStatus.STOPPED


def study_rows(study, store: RunStore | None = None) -> list[TrialRow]:
    """Every planned trial, ranked by value (lowest first), then the rest in trial order."""
    store = store or RunStore()
    rows = []
    for t in planned_trials(study):
        state = STATES.get(t.state.name, t.state.name.lower())
        if t.state.name == "FAIL" and not _counts(t):
            state = RETRIED
        run_id = t.user_attrs.get("run_id")
        run = Run(store.root / run_id) if run_id else None
        epochs, stats = None, {}
        if run is not None and run.info_file.is_file():
            summary = run.summary()
            epochs, stats = summary.epochs_done, run_stats(run.metrics().epochs, summary.duration)
        label = t.user_attrs.get("label") or " ".join(f"{k}={v}" for k, v in t.params.items()) or "(not sampled yet)"
        rows.append(TrialRow(t.number, state, dict(t.params), label, t.value if t.state.name == "COMPLETE" else None,
                             t.user_attrs.get("reason"), run_id, epochs, t.user_attrs.get("best_epoch"),
                             t.system_attrs.get("failed_trial"), dict(t.intermediate_values),
                             stats.get("at_best") or dict.fromkeys(SCORE_KEYS), stats.get("train_seconds")))
    scored = sorted((r for r in rows if r.value is not None), key=lambda r: r.value)
    for rank, row in enumerate(scored, 1):
        row.rank = rank
    return scored + [r for r in rows if r.value is None]


def best_row(rows: list[TrialRow]) -> TrialRow | None:
    return rows[0] if rows and rows[0].rank == 1 else None


def importances(study, minimum: int = 4) -> dict[str, float] | None:
    """Optuna's parameter importances once `minimum` trials are complete (and more than one
    parameter varies); None before."""
    import optuna

    complete = [t for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]
    if len(complete) < minimum or len({k for t in complete for k in t.params}) < 1:
        return None
    try:
        return dict(optuna.importance.get_param_importances(study))
    except (ValueError, RuntimeError):  # every value equal, or a single distinct point
        return None


@dataclass
class StudySnapshot:
    """Everything a live view of a study shows, read in one go (so a window can read it away from
    its GUI thread: a remote storage may take a while to answer)."""

    plan: StudyPlan
    rows: list[TrialRow]
    done: int
    total: int
    status: SweepStatus
    importances: dict[str, float] | None


def read_snapshot(url: str | None, name: str, store: RunStore | None = None) -> StudySnapshot:
    """The study `name` in the storage at `url` (the home's by default), as it is now;
    StudyError when it cannot be read."""
    from workbench.core.sweeps.study_store import load_study, open_storage

    study, plan = load_study(name, open_storage(url))
    done, total = study_progress(study, plan)
    return StudySnapshot(plan, study_rows(study, store), done, total, study_status(study, plan), importances(study))
