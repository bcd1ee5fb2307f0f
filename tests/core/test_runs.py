import json
import subprocess
import sys
import textwrap

import pytest

from workbench.core.config import TrainConfig
from workbench.core.store.runs import RunLocked, RunNotFound, RunStore


@pytest.fixture
def store(isolated_home):
    return RunStore()


def test_create_writes_config_and_info(store):
    run = store.create(TrainConfig(epochs=3), name="first", notes="hello", preset="dcgan")
    assert run.config() == TrainConfig(epochs=3)
    info = run.info()
    assert (info["name"], info["status"], info["notes"], info["preset"]) == ("first", "created", "hello", "dcgan")
    s = run.summary()
    assert (s.status, s.epochs_done, s.epochs_total, s.problem) == ("created", 0, 3, None)


def test_metrics_append_and_list(store):
    run = store.create(TrainConfig(epochs=2))
    run.append_metrics({"epoch": 1, "d_loss": 1.0, "g_loss": 2.0})
    run.append_metrics({"epoch": 2, "d_loss": 0.5, "g_loss": 2.5})
    s = store.summaries()[0]
    assert (s.epochs_done, s.last_d_loss, s.last_g_loss) == (2, 0.5, 2.5)


def test_half_written_metrics_line_makes_the_run_damaged_not_a_crash(store):
    run = store.create(TrainConfig())
    run.append_metrics({"epoch": 1, "d_loss": 1.0, "g_loss": 2.0})
    with open(run.metrics_file, "a") as f:
        f.write('{"epoch": 2, "d_lo')
    s = run.summary()
    assert s.status == "damaged" and "half-written" in s.problem
    assert s.epochs_done == 1  # the complete epochs are intact
    run.trim_metrics(1)
    assert run.summary().status != "damaged"


def test_missing_files_make_a_damaged_run(store):
    a = store.create(TrainConfig())
    b = store.create(TrainConfig())
    a.info_file.unlink()
    b.config_file.write_text("{")
    by_id = {s.id: s for s in store.summaries()}
    assert by_id[a.id].status == "damaged" and "run.json is missing" in by_id[a.id].problem
    assert by_id[b.id].status == "damaged" and "config.json" in by_id[b.id].problem


def test_get_by_id_prefix_and_name(store):
    run = store.create(TrainConfig(), name="alpha")
    assert store.get(run.id).path == run.path
    assert store.get(run.id[:-2]).path == run.path
    assert store.get("alpha").path == run.path
    with pytest.raises(RunNotFound, match="runs"):
        store.get("zzz")


def test_lock_is_exclusive_and_reading_still_works(store):
    run = store.create(TrainConfig())
    with run.lock():
        assert run.is_locked()
        with pytest.raises(RunLocked, match="being trained"):
            with run.lock():
                pass
        assert run.summary().status == "created"
        with pytest.raises(RunLocked):
            store.delete(run)
    assert not run.is_locked()


def test_lock_held_by_another_process(store):
    run = store.create(TrainConfig())
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from workbench.core.store.runs import Run
        with Run({str(run.path)!r}).lock():
            print("locked", flush=True)
            sys.stdin.readline()
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(RunLocked):
            with run.lock():
                pass
        assert run.is_locked()
    finally:
        holder.communicate("\n", timeout=30)
    with run.lock():
        pass


def test_running_status_without_a_live_lock_lists_as_stopped(store):
    run = store.create(TrainConfig())
    run.update_info(status="running")
    assert run.summary().status == "stopped"


def test_writes_leave_no_temporary_files(store):
    run = store.create(TrainConfig())
    for i in range(5):
        run.update_info(notes=str(i))
    assert sorted(p.name for p in run.path.iterdir() if not p.name.startswith(".")) == ["config.json", "run.json"]
    assert not [p for p in run.path.iterdir() if p.name.endswith(".tmp")]
    assert json.loads(run.info_file.read_text())["notes"] == "4"


def test_delete_removes_the_folder(store):
    run = store.create(TrainConfig())
    store.delete(run)
    assert not run.path.exists() and store.summaries() == []


def test_concurrent_info_updates_from_two_processes_are_all_kept(store):
    run = store.create(TrainConfig())
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        from workbench.core.store.runs import Run
        run = Run({str(run.path)!r})
        for i in range(40):
            run.update_info(**{{f"child_{{i}}": i}})
    """)])
    for i in range(40):
        run.update_info(**{f"parent_{i}": i})
    child.wait(60)
    info = run.info()
    assert all(f"child_{i}" in info and f"parent_{i}" in info for i in range(40))
