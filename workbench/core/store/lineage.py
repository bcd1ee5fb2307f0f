"""A fork's history: its epochs 1..E are its parent's, read from the parent's folder (not
copied) and marked inherited; its own epochs, E+1 on, are in its own folder. No torch.

run.json of a fork holds `parent: {"run": <parent id>, "epoch": E}`. Before a parent is deleted,
each child gets a copy of what it inherits in `<child>/inherited/` (metrics.jsonl and samples/,
laid out as in a run folder), and reads it from there from then on. A parent that is gone
without that copy leaves the child readable with its own epochs only (`History.problem` says
why the inherited ones are missing).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from workbench.core.atomic import write_bytes
from workbench.core.store.run_info import RunInfo
from workbench.core.store.runs import Run, RunStore

INHERITED = "inherited"  # the child's copy of its inherited epochs, once its parent is deleted
INHERITED_KEY = "inherited"  # marks a metrics entry (a dict) read from the parent, never written


@dataclass(frozen=True)
class Parent:
    run: str
    epoch: int


@dataclass
class History:
    """Every epoch a run shows, ascending: inherited ones first (each with `inherited: True`)."""

    epochs: list[dict] = field(default_factory=list)
    grids: dict[int, Path] = field(default_factory=dict)  # epoch -> its fixed-noise grid
    parent: Parent | None = None
    problem: str | None = None  # why the inherited epochs are missing or incomplete

    @property
    def fork_epoch(self) -> int:
        return self.parent.epoch if self.parent else 0

    def sample_epochs(self) -> list[int]:
        return sorted(self.grids)


def parent_of(run: Run) -> Parent | None:
    """The run's parent and the epoch it was forked at; None for a run that is no fork."""
    try:
        info = run.read_info()
    except (OSError, ValueError):
        return None
    return _parent(info)


def fork_epoch(run: Run) -> int:
    """E for a fork (its epochs 1..E are its parent's), 0 for any other run or an unreadable one."""
    parent = parent_of(run)
    return parent.epoch if parent else 0


def _parent(info: RunInfo) -> Parent | None:
    return Parent(info.parent_run, info.parent_epoch) if info.parent_run and info.parent_epoch else None


def history(run: Run, _depth: int = 0) -> History:
    """The run's epochs and grids, a fork's inherited ones included (recursively: a fork of a
    fork reads its grandparent's through its parent)."""
    own = run.metrics()
    out = History(parent=parent_of(run), problem=own.problem)
    if out.parent is not None:
        inherited = _inherited(run, out.parent, _depth)
        out.epochs = [{**e, INHERITED_KEY: True} for e in inherited.epochs if e["epoch"] <= out.parent.epoch]
        out.grids = {e: p for e, p in inherited.grids.items() if e <= out.parent.epoch}
        out.problem = out.problem or inherited.problem
    out.epochs += [e for e in own.epochs if not out.parent or _after(e, out.parent.epoch)]
    out.grids.update({e: run.sample_file(e) for e in run.sample_epochs()})
    return out


def _after(entry: dict, epoch: int) -> bool:
    return not isinstance(entry["epoch"], int) or entry["epoch"] > epoch


def _inherited(run: Run, parent: Parent, depth: int) -> History:
    kept = run.path / INHERITED
    if kept.is_dir():
        copy = Run(kept)
        return History(epochs=copy.metrics().epochs, grids={e: copy.sample_file(e) for e in copy.sample_epochs()})
    source = run.path.parent / parent.run
    if depth > 100 or not (source / "run.json").exists():
        return History(problem=f"its parent {parent.run} is gone; epochs 1–{parent.epoch} are not shown")
    return history(Run(source), depth + 1)


def children_of(store: RunStore, run: Run) -> list[Run]:
    """The runs forked from `run` (not their own forks)."""
    out = []
    for child in store.runs():
        parent = parent_of(child) if child.id != run.id else None
        if parent is not None and parent.run == run.id:
            out.append(child)
    return out


def keep_inherited(child: Run) -> bool:
    """Copy what `child` inherits (metrics lines and grids of epochs 1..E) into its own folder,
    written aside and renamed into place whole; False when it holds a copy already or is no
    fork."""
    parent = parent_of(child)
    target = child.path / INHERITED
    if parent is None or target.is_dir():
        return False
    inherited = history(child)
    aside = child.path / (INHERITED + ".partial")
    shutil.rmtree(aside, ignore_errors=True)
    (aside / "samples").mkdir(parents=True)
    lines = [{k: v for k, v in e.items() if k != INHERITED_KEY} for e in inherited.epochs if e.get(INHERITED_KEY)]
    copy = Run(aside)
    copy._write_metrics(lines)
    for epoch, grid in inherited.grids.items():
        if epoch <= parent.epoch and grid.exists():
            write_bytes(copy.sample_file(epoch), grid.read_bytes())
    os.replace(aside, target)
    return True


def delete_run(store: RunStore, run: Run) -> list[Run]:
    """Delete `run`, after giving each of its children a copy of what it inherits from it (so
    they stay readable); returns those children. Raises RunLocked while `run` trains."""
    with run.lock():
        pass  # refuses while training, before anything is copied
    children = children_of(store, run)
    for child in children:
        keep_inherited(child)
    store.delete(run)
    return children


__all__ = ["History", "INHERITED", "Parent", "children_of", "delete_run", "fork_epoch", "history",
           "keep_inherited", "parent_of"]
