"""Checking a run folder against the promise "every epoch recorded exactly once": config and
run info readable, metrics lines valid, unique and contiguous, grids and the latest checkpoint
agreeing on the epoch, the checkpoint loading safely, best.json saying what best.pt holds.
Repair only trims what the checkpoint does not cover (and rewrites best.json from best.pt),
never guesses."""

from __future__ import annotations

from dataclasses import dataclass, field

from workbench.core import words
from workbench.core.config import ConfigError
from workbench.core.store.best_checkpoint import examine_best, settle_best
from workbench.core.store.checkpoints import CheckpointError, load_checkpoint
from workbench.core.store.lineage import fork_epoch
from workbench.core.store.runs import Run


@dataclass
class RunCheck:
    run_id: str
    checkpoint_epoch: int | None = None  # None: no readable latest checkpoint
    problems: list[str] = field(default_factory=list)  # trimming to the checkpoint fixes these
    unfixable: list[str] = field(default_factory=list)  # needs a person: unreadable config, lost epochs

    @property
    def ok(self) -> bool:
        return not self.problems and not self.unfixable


def check_run(run: Run) -> RunCheck:
    result = RunCheck(run.id)
    try:
        run.config()
    except ConfigError as e:
        result.unfixable.append(f"config.json is not a valid configuration: {e}")
    try:
        run.info()
    except (OSError, ValueError) as e:
        result.unfixable.append(f"run.json is unreadable ({e})")
    epoch = 0
    if run.latest_checkpoint.exists():
        try:
            epoch = int(load_checkpoint(run.latest_checkpoint)["epoch"])
            result.checkpoint_epoch = epoch
        except CheckpointError as e:
            result.unfixable.append(str(e))
            return result
    log = run.metrics()
    if log.problem:
        result.problems.append(log.problem)
    if log.repeated:
        result.problems.append(f"metrics.jsonl repeats {words.count(log.repeated, 'epoch line')}")
    recorded = [m["epoch"] for m in log.epochs]
    beyond = [e for e in recorded if e > epoch]
    if beyond:
        result.problems.append(f"metrics record epochs {beyond} beyond the checkpoint's epoch {epoch}")
    first = fork_epoch(run) + 1  # a fork's epochs 1..E are its parent's
    missing = sorted(set(range(first, epoch + 1)) - set(recorded))
    if missing:
        result.unfixable.append(f"metrics are missing for epochs {missing} that the checkpoint covers")
    grids = run.sample_epochs()
    if [e for e in grids if e > epoch]:
        result.problems.append(f"sample grids of epochs {[e for e in grids if e > epoch]} are beyond the "
                               f"checkpoint's epoch {epoch}")
    if [e for e in run.kept_checkpoint_epochs() if e > epoch]:
        result.problems.append(f"kept checkpoints beyond the latest one's epoch {epoch}")
    best_problem = examine_best(run, epoch)[1]
    if best_problem:
        result.problems.append(best_problem)
    return result


def repair_run(run: Run) -> list[str]:
    """Trim the run to its latest checkpoint's epoch (0 when it has none) under its lock;
    returns what changed. Raises RunLocked while it trains, CheckpointError when the checkpoint
    itself is unreadable (nothing to trim to)."""
    with run.lock():
        epoch = int(load_checkpoint(run.latest_checkpoint)["epoch"]) if run.latest_checkpoint.exists() else 0
        return run.trim_to(epoch) + settle_best(run, epoch)
