"""Listing many runs for the browser: `Run.summary()` cached by file signature, so a refresh
(every second or two while the browser is open) re-reads only the runs whose files changed.
No torch, no Qt.
"""

from __future__ import annotations

import os
from pathlib import Path

from workbench.core.store.runs import Run, RunStore, RunSummary
from workbench.core.store.status import RunStatus


def _signature(path: Path) -> tuple:
    """What changes when a run's listed files change: (mtime_ns, size) of each."""
    out = []
    for name in ("run.json", "config.json", "metrics.jsonl", "samples", "checkpoints/best.json"):
        try:
            st = os.stat(path / name)
            out.append((st.st_mtime_ns, st.st_size))
        except OSError:
            out.append(None)
    return tuple(out)


class SummaryCache:
    """Summaries of a RunStore's runs, re-read only when a run's files change."""

    def __init__(self, store: RunStore | None = None):
        self.store = store or RunStore()
        self._cache: dict[str, tuple[tuple, bool, RunSummary]] = {}

    def run_ids(self) -> list[str]:
        try:
            with os.scandir(self.store.root) as it:
                return sorted(e.name for e in it if not e.name.startswith(".") and e.is_dir())
        except OSError:
            return []

    def refresh(self) -> tuple[list[RunSummary], set[str]]:
        """All summaries (sorted by id, like `RunStore.runs()`) and the ids that are new or
        whose summary changed since the last refresh."""
        out, changed = [], set()
        ids = self.run_ids()
        for run_id in ids:
            path = self.store.root / run_id
            sig = _signature(path)
            cached = self._cache.get(run_id)
            if cached and cached[0] == sig and not cached[1]:
                out.append(cached[2])
                continue
            summary = Run(path).summary()
            if not cached or cached[2] != summary:
                changed.add(run_id)
            # a running run's status depends on its lock, not only its files: re-read it
            self._cache[run_id] = (sig, summary.status is RunStatus.RUNNING, summary)
            out.append(summary)
        for gone in set(self._cache) - set(ids):
            del self._cache[gone]
        return out, changed

    def summaries(self) -> list[RunSummary]:
        return self.refresh()[0]

    def forget(self, run_id: str) -> None:
        """Drop a run from the cache so the next refresh re-reads it."""
        self._cache.pop(run_id, None)
