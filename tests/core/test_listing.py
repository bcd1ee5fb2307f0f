"""Run.summary() of healthy and damaged runs, and SummaryCache re-reading only changed runs."""

import os
import subprocess
import sys

from workbench.core.presets import preset_config
from workbench.core.store.listing import SummaryCache
from workbench.core.store.runs import RunStore


def make_run(store, name, epochs=3, **info):
    run = store.create(preset_config("mlp-small").with_changes(epochs=5), name=name, preset="mlp-small")
    for e in range(1, epochs + 1):
        run.append_metrics({"epoch": e, "d_loss": 1.0 / e, "g_loss": 2.0 * e, "images_per_sec": 10.0,
                            "batch_d_loss": [0.5] * 100, "batch_g_loss": [0.7] * 100})
    run.samples_dir.mkdir(exist_ok=True)
    for e in range(1, epochs + 1):
        run.sample_file(e).write_bytes(b"\x89PNG fake")
    run.update_info(status="finished", train_seconds=12.0, **info)
    return run


def damage_cases(store):
    half = make_run(store, "half")
    with open(half.metrics_file, "a") as f:
        f.write('{"epoch": 4, "d_lo')
    middle = make_run(store, "middle")
    lines = middle.metrics_file.read_text().splitlines()
    lines[1] = "garbage"
    middle.metrics_file.write_text("\n".join(lines) + "\n")
    no_info = make_run(store, "no info")
    no_info.info_file.unlink()
    bad_config = make_run(store, "bad config")
    bad_config.config_file.write_text("{not json")
    empty = store.create(preset_config("mlp-small"), name="empty")
    stale = make_run(store, "stale running")
    stale.update_info(status="running")  # its trainer died: no lock held
    return [half, middle, no_info, bad_config, empty, stale]


def test_summary_of_healthy_and_damaged_runs(tmp_path):
    store = RunStore(tmp_path / "runs")
    runs = [make_run(store, "fine")] + damage_cases(store)
    summaries = {r.summary().name: r.summary() for r in runs}
    assert summaries["fine"].status == "finished" and summaries["stale running"].status == "stopped"
    assert summaries["fine"].epochs_done == len(runs[0].metrics().epochs) == 3
    assert summaries["fine"].last_g_loss == 6.0
    for name in ("half", "middle", "bad config"):
        assert summaries[name].status == "damaged", name
    assert summaries["half"].epochs_done == 3 and "half-written" in summaries["half"].problem
    assert "line 2 is not valid JSON" in summaries["middle"].problem


def test_a_running_run_holding_its_lock_is_running(tmp_path):
    store = RunStore(tmp_path / "runs")
    run = make_run(store, "live")
    run.update_info(status="running")
    with run.lock():
        assert run.summary().status == "running"
    assert run.summary().status == "stopped"


def test_cache_rereads_only_changed_runs(tmp_path):
    store = RunStore(tmp_path / "runs")
    a, b = make_run(store, "a"), make_run(store, "b")
    cache = SummaryCache(store)
    summaries, changed = cache.refresh()
    assert {s.id for s in summaries} == {a.id, b.id} and changed == {a.id, b.id}
    assert [s.id for s in summaries] == sorted(s.id for s in summaries)  # RunStore.runs() order
    assert cache.refresh()[1] == set()

    a.append_metrics({"epoch": 4, "d_loss": 0.1, "g_loss": 0.2})
    summaries, changed = cache.refresh()
    by_id = {s.id: s for s in summaries}
    assert changed == {a.id} and by_id[a.id].epochs_done == 4 and by_id[a.id].last_g_loss == 0.2

    c = make_run(store, "c")
    store.delete(b)
    summaries, changed = cache.refresh()
    assert {s.id for s in summaries} == {a.id, c.id} and changed == {c.id}
    assert cache.summaries() == store.summaries()


def test_cache_on_a_missing_runs_folder_is_empty(tmp_path):
    assert SummaryCache(RunStore(tmp_path / "nothing")).refresh() == ([], set())


def test_listing_imports_neither_torch_nor_qt(tmp_path):
    code = ("from workbench.core.store.listing import SummaryCache\nSummaryCache().summaries()\n"
            "import sys; print(' '.join(sys.modules))")
    env = dict(os.environ, WORKBENCH_HOME=str(tmp_path))
    loaded = set(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                check=True).stdout.split())
    assert "torch" not in loaded and "PySide6" not in loaded
