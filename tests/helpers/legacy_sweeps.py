"""Grid sweeps stored as the releases before studies stored them (`sweeps/<id>/sweep.json` with
the base, the axes and the run ids, every run made up front and tagged `sweep`/`sweep_index`),
for the tests of the legacy reader and runner. The release fixture holds two made by 0.1.0."""

from __future__ import annotations

import secrets

from workbench.core.atomic import write_json
from workbench.core.config import TrainConfig
from workbench.core.store.runs import RunStore
from workbench.core.sweeps.grid import parse_axis
from workbench.core.sweeps.legacy_store import Sweep
from workbench.core.sweeps.status import sweeps_dir


def legacy_sweep(base: TrainConfig, texts: list[str], name: str = "old sweep") -> Sweep:
    axes = [parse_axis(text)[0] for text in texts]
    sweep_id = "sweep-20261101-120000-" + secrets.token_hex(2)
    folder = sweeps_dir() / sweep_id
    folder.mkdir(parents=True)
    count = 1
    for axis in axes:
        count *= len(axis.points)
    write_json(folder / "sweep.json", {
        "version": 1, "id": sweep_id, "name": name, "created": "2026-11-01T12:00:00", "study": None,
        "preset": None, "base": base.to_dict(), "status": "created", "count": count, "runs": [],
        "grid": [{"fields": list(a.fields), "values": [list(p) for p in a.points]} for a in axes]})
    sweep = Sweep(folder)
    sweep.ensure_runs(RunStore())
    return sweep
