"""What every command shares: the exit statuses, the user-facing error, finding a run, and
number formatting for tables."""

from __future__ import annotations

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_STOPPED = 0, 1, 2, 130


class CliError(Exception):
    """A user-facing problem: printed as one message, exit status attached."""

    def __init__(self, message: str, status: int = EXIT_FAILED):
        super().__init__(message)
        self.status = status


def store_get(key: str):
    from workbench.core.runs import RunNotFound, RunStore

    try:
        return RunStore().get(key)
    except RunNotFound as e:
        raise CliError(str(e)) from None


def fmt(value, spec="8.4f") -> str:
    width = spec.split('.')[0].rstrip(",")
    return format(value, spec) if isinstance(value, (int, float)) else f"{'-':>{width}}"
