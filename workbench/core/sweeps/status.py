"""Where a sweep stands and how its training ended, in the same words for a study and for a sweep
stored before studies (`legacy_store`); and the folder both live in."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from workbench.core import paths


class SweepStatus(str, Enum):
    """Where a sweep stands (created, running, stopped, finished), derived from its trials or
    runs, or how a worker's training of it ended (finished, stopped, failed). The same words as
    a run's, but a sweep is never damaged and a run never fails as a sweep does."""

    CREATED = "created"
    RUNNING = "running"
    STOPPED = "stopped"
    FINISHED = "finished"
    FAILED = "failed"

    def __str__(self) -> str:
        return self.value


@dataclass
class SweepEnded:
    """A worker (or the legacy runner) is done: `sweep_id` is the study's name (or the old id)."""

    sweep_id: str
    status: SweepStatus  # finished | stopped | failed
    message: str
    runs_trained: int


def sweeps_dir() -> Path:
    """`<home>/sweeps`: the default study storage (studies.db) and the sweeps stored before it."""
    return paths.home_dir() / "sweeps"
