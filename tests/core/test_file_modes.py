"""Every file the app writes gets the mode the umask gives, as any other program's new file:
0644 under umask 022, 0600 under 077 (atomic writes once kept their temporary file's 0600)."""

from __future__ import annotations

import os
import stat

import pytest

from helpers.colour_runs import train_folder_run
from workbench.core.outputs.animation import write_gif
from workbench.core.outputs.export import export_run
from workbench.core.sweeps.study_store import create_study, make_plan, open_storage


@pytest.fixture
def umask():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def modes(*folders) -> dict[str, int]:
    return {str(p): stat.S_IMODE(p.stat().st_mode) for folder in folders for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o077, 0o600)])
def test_runs_grids_checkpoints_sweeps_and_exports_take_the_umask(umask, tmp_path, isolated_home, mask, expected):
    os.umask(mask)
    run = train_folder_run(tmp_path / "images", channels=1, epochs=1, max_batches=1)
    export_run(run, tmp_path / "export")
    write_gif([run], tmp_path / "export" / "training.gif")
    create_study(make_plan("modes", run.config(), ["seed=1,2"], "grid", "none", None, lists=True), open_storage())

    written = modes(run.path, tmp_path / "export", isolated_home / "sweeps", isolated_home / "cache")
    kinds = {os.path.splitext(name)[1] for name in written}
    assert {".json", ".jsonl", ".png", ".pt", ".gif", ".csv", ".db"} <= kinds, kinds
    assert {name: mode for name, mode in written.items() if mode != expected} == {}
