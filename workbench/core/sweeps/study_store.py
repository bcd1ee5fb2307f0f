"""Sweeps as Optuna studies: made, found and read in a study storage (an SQLite file in the home
by default, or any SQLAlchemy URL Optuna takes, such as a PostgreSQL server many machines share).

A study is created with all its trials queued at once (Optuna's enqueued, "waiting" trials):
a grid's points with their values, a search's slots without (its sampler picks them when a
worker takes one). Workers only ever take a queued trial, so the study trains exactly the
trials it planned however many workers join; a trial whose worker dies (its heartbeat stops)
is failed and queued again by Optuna's RetryHeartbeatStaleTrialCallback (formerly
RetryFailedTrialCallback), so none is lost or counted twice.

Every sweep is such a study: a grid (`sweep --set`, a built-in study, the Sweeps tab's grid) is
one with the grid sampler and no pruner, one trial per point of its axes' product.

The study keeps its plan in its user attributes (`workbench`): the base config, the --space
(or --set) texts, sampler, pruner and trial count, so a worker elsewhere rebuilds exactly the
same study.
"""

from __future__ import annotations

import itertools
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from workbench.core.config import ConfigError, FieldError, TrainConfig
from workbench.core.sweeps.grid import MAX_RUNS
from workbench.core.sweeps.space import Dimension, check_space, grid_size, parse_space
from workbench.core.sweeps.status import sweeps_dir

SAMPLERS = ("tpe", "random", "grid")
PRUNERS = ("median", "hyperband", "none")
HEARTBEAT_SECONDS = 10  # a worker silent for GRACE_BEATS heartbeats has its trial failed and queued again
GRACE_BEATS = 3
PLAN_KEY = "workbench"
PLANNED = "planned"  # user attribute of every trial the study queued (not one a race created)


class StudyError(RuntimeError):
    """A study that cannot be made or found, or a storage that cannot be opened; in words."""


@dataclass(frozen=True)
class StudyPlan:
    name: str
    base: TrainConfig
    space: tuple[Dimension, ...]
    sampler: str = "tpe"
    pruner: str = "median"
    trials: int = 10
    seed: int | None = None
    start: dict | None = None  # {"run": id, "epoch": E}: every trial forks from there (`sweep --from`)
    lists: bool = False  # the space is a grid's --set texts: every one a list (`space.parse_dimension`)

    def to_dict(self) -> dict:
        return {"version": 1, "base": self.base.to_dict(), "space": [d.text for d in self.space],
                "sampler": self.sampler, "pruner": self.pruner, "trials": self.trials, "seed": self.seed,
                "start": self.start, "lists": self.lists}

    @classmethod
    def from_dict(cls, name: str, data: dict) -> StudyPlan:
        base = TrainConfig.from_dict(data["base"])
        lists = bool(data.get("lists"))
        return cls(name, base, tuple(parse_space(data["space"], base, lists)), data["sampler"], data["pruner"],
                   data["trials"], data.get("seed"), data.get("start"), lists)

    @property
    def is_grid(self) -> bool:
        return self.sampler == "grid"


def make_plan(name: str, base: TrainConfig, space: list[str], sampler: str, pruner: str,
              trials: int | None, seed: int | None = None, lists: bool = False) -> StudyPlan:
    """A checked plan; ConfigError lists every problem (flags named as the CLI spells them).
    `lists`: the space is a grid's `--set` texts (sampler grid)."""
    dimensions, errors = check_space(space, base, lists)
    flag = "--set" if lists else "--space"
    if sampler not in SAMPLERS:
        errors.append(FieldError("--sampler", sampler, " | ".join(SAMPLERS)))
    if pruner not in PRUNERS:
        errors.append(FieldError("--pruner", pruner, " | ".join(PRUNERS)))
    if trials is not None and not 1 <= trials <= 1000:
        errors.append(FieldError("--trials", trials, "a whole number from 1 to 1000"))
    if sampler == "grid" and dimensions:
        size = grid_size(dimensions)
        if size is None:
            ranges = [d.text for d in dimensions if not d.is_list]
            errors.append(FieldError("--space", "; ".join(ranges), "lists of values for a grid (--sampler grid)"))
        elif size > MAX_RUNS:
            errors.append(FieldError(flag, f"{size} runs", f"a grid of at most {MAX_RUNS} runs"))
        elif trials is not None and trials != size:
            errors.append(FieldError("--trials", trials, f"the grid's {size} points, or leave it out"))
        else:
            trials = size
            if not errors:  # combinations, once every value is good
                errors += _grid_errors(base, dimensions)
    if errors:
        raise ConfigError(errors)
    return StudyPlan(name, base, tuple(dimensions), sampler, pruner, trials or 10, seed, lists=lists)


def _grid_errors(base: TrainConfig, dimensions: list[Dimension]) -> list[FieldError]:
    """Combinations the config rejects (a width list that does not fit a new size), each once."""
    seen: dict[str, FieldError] = {}
    for changes in grid_changes(dimensions):
        try:
            TrainConfig.from_changes(base.to_dict(), changes)
        except ConfigError as e:
            for error in e.errors:
                seen.setdefault(str(error), error)
    return list(seen.values())


def grid_points(dimensions) -> list[dict]:
    """Every point of the lists' product as Optuna parameters, the last dimension fastest (a
    grid study queues them in the order of the parameters' names, as GridSampler numbers them)."""
    return [dict(zip((d.name for d in dimensions), values))
            for values in itertools.product(*(d.choices() for d in dimensions))]


def grid_changes(dimensions) -> list[dict]:
    """Each grid point's config changes, in the order a grid study queues (and numbers) them;
    within a point, the fields in the dimensions' own order."""
    return [_changes_of(dimensions, params) for params in grid_points(_queue_order(dimensions))]


def grid_configs(plan: StudyPlan) -> list[tuple[dict, TrainConfig]]:
    """(changes, config) of each trial of a grid plan, in trial order."""
    return [(c, TrainConfig.from_changes(plan.base.to_dict(), c)) for c in grid_changes(plan.space)]


def _changes_of(dimensions, params: dict) -> dict:
    """The config changes that a trial's parameters make."""
    changes = {}
    for d in dimensions:
        changes.update(d.changes(params[d.name]))
    return changes


def _queue_order(dimensions) -> list[Dimension]:
    return sorted(dimensions, key=lambda d: d.name)


def default_storage_url() -> str:
    return f"sqlite:///{sweeps_dir() / 'studies.db'}"


def open_storage(url: str | None = None, heartbeat: float = HEARTBEAT_SECONDS):
    """The RDB storage at `url` (default: the home's SQLite file), with heartbeats and the retry
    callback; StudyError in words when the URL is bad, its driver missing or the server down."""
    import optuna
    from optuna.storages import RDBStorage, RetryHeartbeatStaleTrialCallback

    quiet_optuna()
    if url is None:
        sweeps_dir().mkdir(parents=True, exist_ok=True)
    url = url or default_storage_url()
    try:
        return RDBStorage(url, heartbeat_interval=max(1, round(heartbeat)),
                          grace_period=max(2, round(heartbeat * GRACE_BEATS)),
                          heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(
                              max_retry=3, inherit_intermediate_values=True))
    except ImportError as e:
        raise StudyError(f"--storage {_safe(url)}: its database driver is not installed ({e}); for "
                         "PostgreSQL install the postgresql extra (psycopg and psycopg2).") from None
    except Exception as e:  # sqlalchemy's ArgumentError, OperationalError …: no import of sqlalchemy here
        if not _is_storage_error(e, optuna):
            raise
        raise StudyError(f"--storage {_safe(url)} cannot be opened: {str(e).splitlines()[0]}") from None


def _is_storage_error(error: Exception, optuna) -> bool:
    return type(error).__module__.startswith(("sqlalchemy", "optuna", "psycopg")) or isinstance(error, ValueError)


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    head, at, tail = url.rpartition("@")
    if not at or "://" not in head:
        return url
    scheme, _, user = head.partition("://")
    return f"{scheme}://{user.split(':')[0]}:***@{tail}"


def claim_lock_path(storage) -> Path | None:
    """For an SQLite storage, the lock file its workers take while they claim a queued trial.
    SQLite has no row locks (SELECT … FOR UPDATE), so two processes could both take the same
    queued trial; an SQLite file is shared only by processes of one machine, so a file lock
    beside it makes the claim one at a time. A server storage locks the row itself: None."""
    url = str(getattr(getattr(storage, "_backend", storage), "url", ""))
    if not url.startswith("sqlite:///") or url.endswith(":memory:"):
        return None
    return Path(url[len("sqlite:///"):] + ".claim.lock")


def quiet_optuna() -> None:
    """Optuna logs every trial and warns that heartbeats are experimental; the front ends say
    what happened themselves."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def build_sampler(plan: StudyPlan):
    import optuna

    if plan.sampler == "grid":
        return optuna.samplers.GridSampler({d.name: d.choices() for d in plan.space}, seed=plan.seed)
    if plan.sampler == "random":
        return optuna.samplers.RandomSampler(seed=plan.seed)
    # a short study cannot spend Optuna's default 10 random trials before TPE starts modelling
    return optuna.samplers.TPESampler(seed=plan.seed, n_startup_trials=max(2, min(10, plan.trials // 3)))


def build_pruner(plan: StudyPlan):
    import optuna

    if plan.pruner == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1)
    if plan.pruner == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max(1, plan.base.epochs))
    return optuna.pruners.NopPruner()


def create_study(plan: StudyPlan, storage):
    """The study in `storage` with every trial queued; StudyError when the name is taken."""
    import optuna

    try:
        study = optuna.create_study(study_name=plan.name, storage=storage, sampler=build_sampler(plan),
                                    pruner=build_pruner(plan), direction="minimize")
    except optuna.exceptions.DuplicatedStudyError:
        raise StudyError(f"--name {plan.name}: a study of that name exists in this storage; "
                         "choose another name, or join it with `sweep-worker`.") from None
    study.set_user_attr(PLAN_KEY, plan.to_dict() | {"created": time.strftime("%Y-%m-%dT%H:%M:%S")})
    if plan.sampler != "grid":
        for _ in range(plan.trials):
            study.enqueue_trial({}, user_attrs={PLANNED: True})
        return study
    # each point queued with the grid id and space GridSampler itself would give it, so the sampler
    # sees the grid as taken and a study's progress reads the same in optuna-dashboard
    space = {d.name: d.choices() for d in _queue_order(plan.space)}
    for grid_id, params in enumerate(grid_points(_queue_order(plan.space))):
        study.add_trial(optuna.trial.create_trial(
            state=optuna.trial.TrialState.WAITING, user_attrs={PLANNED: True},
            system_attrs={"fixed_params": params, "grid_id": grid_id, "search_space": space}))
    return study


def free_name(storage, name: str) -> str:
    """`name`, or `name-2`, `name-3` … when a study of that name exists: for names the
    workbench makes up (preset and time), never for one the user gave."""
    taken = set(study_names(storage))
    number, found = 1, name
    while found in taken:
        number += 1
        found = f"{name}-{number}"
    return found


def study_names(storage) -> list[str]:
    """The workbench studies in a storage (others, made by other tools, are left out)."""
    import optuna

    return [s.study_name for s in optuna.get_all_study_summaries(storage, include_best_trial=False)
            if PLAN_KEY in s.user_attrs]


def load_study(name: str, storage):
    """(study, plan) by name; StudyError when the storage holds no workbench study of that name."""
    import optuna

    try:
        study = optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        known = study_names(storage)
        raise StudyError(f"No study {name!r} in this storage; "
                         + (f"it holds: {', '.join(known)}." if known else "it holds none.")) from None
    data = study.user_attrs.get(PLAN_KEY)
    if not isinstance(data, dict):
        raise StudyError(f"Study {name!r} was not made by gan-workbench (it has no plan to train).")
    plan = StudyPlan.from_dict(name, data)
    study.sampler, study.pruner = build_sampler(plan), build_pruner(plan)
    return study, plan
