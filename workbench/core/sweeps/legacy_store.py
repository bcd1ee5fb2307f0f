"""The legacy reader: grid sweeps stored before every sweep became an Optuna study. New grids are
studies with a grid sampler (`study_store`); nothing here makes a sweep any more. These are
read as they are, never converted, so `sweeps`, `sweep-show` and `resume` keep working on them.

`<home>/sweeps/<id>/sweep.json` holds the base config, the grid and the run ids in order;
everything else (which runs are done, their scores) is read from the runs themselves, so a
killed sweep knows where it stands from the files alone. Each run of a sweep is an ordinary
run whose run.json carries `sweep` (the id) and `sweep_index` (its place in the grid). Runs
were created before any of them trained, all tagged; a sweep killed while making them finds
or re-creates the ones it is missing when it resumes.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path

from workbench.core.atomic import write_json
from workbench.core.config import TrainConfig
from workbench.core.file_locks import held_lock, lock_is_held
from workbench.core.outputs.compare import rank_by_quality, run_stats
from workbench.core.presets import matching_preset
from workbench.core.store.run_info import RunInfo
from workbench.core.store.runs import Run, RunStore
from workbench.core.store.scores import SCORE_KEYS
from workbench.core.store.status import RunStatus
from workbench.core.sweeps.grid import Axis, label
from workbench.core.sweeps.status import SweepStatus, sweeps_dir

SWEEP_FILE = "sweep.json"


#: a sweep row's status before its run has trained (its run is `created`, or not made yet);
#: otherwise a row shows its run's RunStatus
QUEUED = "queued"


class SweepNotFound(LookupError):
    pass


class SweepBusy(RuntimeError):
    pass


def run_is_done(run: Run) -> bool:
    """Nothing left to train: finished, or diverged (training it again gives the same NaN). A run
    that failed for another reason (a full disk) is trained again when the sweep resumes."""
    summary = run.summary()
    if summary.status is RunStatus.FINISHED:
        return True
    return summary.status is RunStatus.FAILED and _info(run).diverged


def _info(run: Run) -> RunInfo:
    try:
        return run.read_info()
    except (OSError, ValueError):
        return RunInfo()


@dataclass(frozen=True)
class Point:
    """One run of a sweep: its place in the grid, the fields it changes and its full config."""

    index: int
    changes: dict
    config: TrainConfig

    @property
    def label(self) -> str:
        return label(self.changes)


def expand(base: TrainConfig, axes: list[Axis]) -> list[Point]:
    """One config per point of the stored axes' product, in grid order (the last axis varies
    fastest), as the sweep numbered its runs."""
    points = []
    for index, choice in enumerate(itertools.product(*(range(len(a.points)) for a in axes))):
        changes = {}
        for axis, i in zip(axes, choice):
            changes.update(axis.changes(i))
        points.append(Point(index, changes, TrainConfig.from_changes(base.to_dict(), changes)))
    return points


@dataclass
class SweepRow:
    """One line of a sweep's table: its grid point, where its run stands and how good it got."""

    index: int
    label: str
    changes: dict
    run_id: str | None
    status: str  # QUEUED, or its run's RunStatus
    epochs_done: int
    epochs_total: int
    best_quality: float | None
    best_epoch: int | None
    at_best: dict  # the best epoch's scores, named as in metrics.jsonl (`store.scores.SCORE_KEYS`)
    final_d_loss: float | None
    final_g_loss: float | None
    train_seconds: float | None
    rank: int | None = None  # 1 = best quality; None when not scored yet

    def as_json(self) -> dict:
        """The row for `sweep-show --json`; `coverage_at_best` is the class balance at the best
        epoch, the key (and meaning) scripts written before the manifold scores read."""
        return vars(self) | {"coverage_at_best": self.at_best.get("class_balance")}


class Sweep:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.id = self.path.name

    @property
    def file(self) -> Path:
        return self.path / SWEEP_FILE

    def data(self) -> dict:
        return json.loads(self.file.read_text(encoding="utf-8"))

    def write(self, **changes) -> dict:
        data = self.data() | changes
        write_json(self.file, data)
        return data

    @property
    def name(self) -> str:
        return self.data().get("name") or self.id

    def base(self) -> TrainConfig:
        return TrainConfig.from_dict(self.data()["base"])

    def axes(self) -> list[Axis]:
        return [Axis.from_dict(a) for a in self.data()["grid"]]

    def points(self) -> list[Point]:
        return expand(self.base(), self.axes())

    def lock(self):
        return held_lock(self.path / ".lock", lambda: SweepBusy(
            f"Sweep {self.id} is running in another process; stop it there, or wait for it to finish."))

    def is_running(self) -> bool:
        return lock_is_held(self.path / ".lock")

    # ---- its runs ------------------------------------------------------------------------
    def runs(self, store: RunStore) -> list[Run | None]:
        """The sweep's runs in grid order; None where a run is not created yet or was deleted."""
        ids = self.data().get("runs", [])
        out = []
        for index in range(len(self.points())):
            run_id = ids[index] if index < len(ids) else None
            run = Run(store.root / run_id) if run_id else None
            out.append(run if run is not None and run.info_file.exists() else None)
        return out

    def ensure_runs(self, store: RunStore) -> list[Run]:
        """Every grid point's run, creating (or adopting, after a kill) the missing ones; the id
        list in sweep.json is rewritten after each creation."""
        points = self.points()
        ids = list(self.data().get("runs", []))
        ids += [None] * (len(points) - len(ids))
        orphans = {}
        for run in store.runs():
            info = _info(run)
            if info.sweep == self.id and isinstance(info.sweep_index, int):
                orphans.setdefault(info.sweep_index, run)
        runs = []
        for point, run_id in zip(points, ids):
            run = Run(store.root / run_id) if run_id else None
            if run is None or not run.info_file.exists():
                run = orphans.get(point.index) or store.create(
                    point.config, name=f"{self.name} · {point.label}", notes=f"Sweep {self.id}: {point.label}",
                    preset=matching_preset(point.config), tags={"sweep": self.id, "sweep_index": point.index})
                ids[point.index] = run.id
                self.write(runs=ids)
            runs.append(run)
        return runs

    def status(self, store: RunStore) -> SweepStatus:
        """running (a process holds it), finished (every run done), created (nothing trained
        yet) or stopped; derived from the runs, never from a stored flag alone."""
        if self.is_running():
            return SweepStatus.RUNNING
        runs = self.runs(store)
        if runs and all(r is not None and run_is_done(r) for r in runs):
            return SweepStatus.FINISHED
        if all(r is None or r.summary().epochs_done == 0 for r in runs):
            return SweepStatus.CREATED
        return SweepStatus.STOPPED

    def rows(self, store: RunStore) -> list[SweepRow]:
        """The sweep's table, ranked by best quality (lowest first); unscored runs after, in grid order."""
        rows = []
        for point, run in zip(self.points(), self.runs(store)):
            rows.append(_row(point, run))
        ranked = rank_by_quality(rows, key=lambda r: r.best_quality)
        for rank, row in enumerate(r for r in ranked if r.best_quality is not None):
            row.rank = rank + 1
        return ranked

    def progress(self, store: RunStore) -> tuple[int, int]:
        """(runs done, runs in the grid)."""
        runs = self.runs(store)
        return sum(1 for r in runs if r is not None and run_is_done(r)), len(runs)


def _row(point: Point, run: Run | None) -> SweepRow:
    if run is None:
        return SweepRow(point.index, point.label, point.changes, None, QUEUED, 0, point.config.epochs,
                        None, None, dict.fromkeys(SCORE_KEYS), None, None, None)
    summary = run.summary()
    stats = run_stats(run.metrics().epochs, summary.duration)
    status = QUEUED if summary.status is RunStatus.CREATED else summary.status
    return SweepRow(point.index, point.label, point.changes, run.id, status, summary.epochs_done,
                    summary.epochs_total, stats["best_quality"], stats["best_epoch"], stats["at_best"],
                    stats["final_d_loss"], stats["final_g_loss"], stats["train_seconds"])


class SweepStore:
    """The sweeps stored before studies, found by id, id prefix or name."""

    def __init__(self, root: str | Path | None = None, runs: RunStore | None = None):
        self.root = Path(root) if root else sweeps_dir()
        self.run_store = runs or RunStore()

    def sweeps(self) -> list[Sweep]:
        if not self.root.is_dir():
            return []
        return [Sweep(p) for p in sorted(self.root.iterdir()) if (p / SWEEP_FILE).is_file()]

    def get(self, key: str) -> Sweep:
        """A sweep by id, unique id prefix (with or without `sweep-`) or unique name."""
        sweeps = self.sweeps()
        for candidates in ([s for s in sweeps if s.id == key],
                           [s for s in sweeps if s.id.startswith(key) or s.id.startswith("sweep-" + key)],
                           [s for s in sweeps if _safe_name(s) == key]):
            if len(candidates) == 1:
                return candidates[0]
            if len(candidates) > 1:
                raise SweepNotFound(f"{key!r} matches {len(candidates)} sweeps: "
                                    f"{', '.join(s.id for s in candidates)}; give more of the id.")
        raise SweepNotFound(f"No sweep {key!r}; `gan-workbench sweeps` lists them.")


def _safe_name(sweep: Sweep) -> str | None:
    try:
        return sweep.name
    except (OSError, ValueError):
        return None
