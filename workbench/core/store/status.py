"""A run's status, one word in run.json, as an enum every reader and writer shares.

`RunStatus` is a `str` enum: a member is written to JSON, printed and compared as its plain
value ("finished"), so run.json keeps the words older releases wrote and their runs load.
"""

from __future__ import annotations

from enum import Enum


class RunStatus(str, Enum):
    """`created` → `running` → `stopped`, `finished` or `failed` are written to run.json;
    `pruned` by a sweep whose study stopped the run early as hopeless (it stops as a Stop does:
    its checkpoint is kept, and it can be resumed or forked by hand).
    `damaged` is never written: the listing derives it for a run whose files cannot be read
    (and `stopped` for a `running` run whose process is gone)."""

    CREATED = "created"
    RUNNING = "running"
    STOPPED = "stopped"
    FINISHED = "finished"
    FAILED = "failed"
    PRUNED = "pruned"
    DAMAGED = "damaged"

    def __str__(self) -> str:  # the word, in f-strings and tables too (not "RunStatus.FAILED")
        return self.value

    @classmethod
    def read(cls, value) -> RunStatus:
        """The status a run.json value names; DAMAGED for a missing or unknown one."""
        try:
            return cls(value)
        except ValueError:
            return cls.DAMAGED
