"""The doctor on a stored run: its metrics lines, config and failure from the run folder."""

from __future__ import annotations

from workbench.core.doctor.diagnosis import Diagnosis
from workbench.core.doctor.rules import diagnose, unmeasured
from workbench.core.store.runs import Run


def diverged_at(run: Run, epochs: int) -> tuple[int, str] | None:
    """(epoch, message) when the run failed with a non-finite loss after `epochs` epochs, else None."""
    try:
        info = run.read_info()
    except (OSError, ValueError):
        return None
    return (epochs + 1, info.message or "a loss went NaN or infinite") if info.diverged else None


def diagnose_run(run: Run) -> list[Diagnosis]:
    """Every condition found in a stored run (raises ConfigError on an unreadable config)."""
    entries = run.metrics().epochs
    return diagnose(entries, run.config(), diverged_at(run, len(entries)))


def checkup(run: Run) -> dict:
    """The doctor's whole answer on a run as plain JSON: `doctor --json` prints it."""
    entries = run.metrics().epochs
    config = run.config()
    found = diagnose(entries, config, diverged_at(run, len(entries)))
    return {"run": run.id, "epochs": len(entries), "diagnoses": [d.to_dict() for d in found],
            "notes": unmeasured(entries, config)}
