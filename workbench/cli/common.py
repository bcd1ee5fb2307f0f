"""What every command shares: the exit statuses, the user-facing error, finding a run, and
number formatting for tables."""

from __future__ import annotations

import re

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_STOPPED = 0, 1, 2, 130


class CliError(Exception):
    """A user-facing problem: printed as one message, exit status attached."""

    def __init__(self, message: str, status: int = EXIT_FAILED):
        super().__init__(message)
        self.status = status


def store_get(key: str):
    from workbench.core.store.runs import RunNotFound, RunStore

    try:
        return RunStore().get(key)
    except RunNotFound as e:
        raise CliError(str(e)) from None


def fmt(value, spec="8.4f") -> str:
    """A number in a table column; '-' of the column's width when there is none."""
    width = re.match(r"\d*", spec).group()
    return format(value, spec) if isinstance(value, (int, float)) else f"{'-':>{width}}"
