"""Nothing lost, nothing counted twice: a failure injected at every write the trainer makes in
an epoch (sample grid, metrics line, latest checkpoint, kept checkpoint, best checkpoint, run
info), as a full
disk, as another OSError and as a process killed right after the write; then a resume to the
end must give every epoch exactly once, and the weights, metrics and scores of an
uninterrupted run of the same config and seed. Plus the same on a real small filesystem where
one can be mounted, and runs damaged before the repair existed."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys

import pytest
import torch

import workbench.core.store.best_epoch as best_epoch
import workbench.core.training.trainer as training_module
from workbench.core.events import EpochEnded, Failed, FailureReason, Finished
from workbench.core.presets import preset_config
from workbench.core.store.checkpoints import load_checkpoint
from workbench.core.store.runs import Run, RunStore
from workbench.core.training.trainer import Trainer

FAULT_EPOCH = 2
EPOCHS = 3


class Killed(BaseException):
    """Stands for the process dying right after a write: nothing in the trainer catches it."""


@pytest.fixture
def store(isolated_home, mnist_root, monkeypatch):
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(mnist_root))
    return RunStore()


def config():
    return preset_config("mlp-small").with_changes(epochs=EPOCHS, max_batches=4, keep_checkpoint_every=1,
                                                  eval_samples=256)


def record(run: Run) -> dict:
    """Everything that must match an uninterrupted run."""
    lines = [json.loads(line) for line in run.metrics_file.read_text().splitlines() if line.strip()]
    state = load_checkpoint(run.latest_checkpoint)
    return {
        "epochs": [m["epoch"] for m in lines],
        "metrics": [(m["d_loss"], m["g_loss"], m["d_real"], m["d_fake"], m["quality"], m["class_hist"])
                    for m in lines],
        "grids": run.sample_epochs(),
        "kept": run.kept_checkpoint_epochs(),
        "weights": {k: v.clone() for net in ("generator", "discriminator") for k, v in
                    ((f"{net}.{n}", t) for n, t in state[net].items())},
        "epochs_done": run.info()["epochs_done"],
        "summary_epochs": run.summary().epochs_done,
        "best": best_epoch.read_best(run.checkpoints_dir),
        "best_weights": load_checkpoint(run.checkpoints_dir / "best.pt")["generator"],
    }


_reference: dict = {}


def uninterrupted(store) -> dict:
    if not _reference:
        run = store.create(config())
        assert isinstance(Trainer(config(), run).fit(), Finished)
        _reference.update(record(run))
    return _reference


def assert_same(got: dict, want: dict) -> None:
    assert got["epochs"] == list(range(1, EPOCHS + 1)), "every epoch recorded exactly once"
    for key in ("metrics", "grids", "kept", "epochs_done", "summary_epochs", "best"):
        assert got[key] == want[key], key
    for name, tensor in want["weights"].items():
        assert torch.equal(got["weights"][name], tensor), name
    for name, tensor in want["best_weights"].items():
        assert torch.equal(got["best_weights"][name], tensor), f"best {name}"


def inject(monkeypatch, point: str, fault: str) -> list:
    """Patch the write at `point` of epoch FAULT_EPOCH to fail as `fault`; returns a list that
    records that the fault fired."""
    fired = []

    def fail_or_kill(write, *args, **kwargs):
        if fired:
            return write(*args, **kwargs)
        fired.append(point)
        if fault == "kill":
            write(*args, **kwargs)
            raise Killed
        raise OSError(errno.ENOSPC if fault == "disk full" else errno.EIO,
                      "No space left on device" if fault == "disk full" else "Input/output error")

    if point == "grid":
        real = training_module.save_png

        def save_png(grid, path):
            if path.name == f"epoch-{FAULT_EPOCH:04d}.png":
                return fail_or_kill(real, grid, path)
            return real(grid, path)

        monkeypatch.setattr(training_module, "save_png", save_png)
    elif point in ("latest", "kept"):
        real = training_module.save_checkpoint
        name = "latest.pt" if point == "latest" else f"epoch-{FAULT_EPOCH:04d}.pt"

        def save_checkpoint(path, state):
            if path.name == name and state["epoch"] == FAULT_EPOCH:
                return fail_or_kill(real, path, state)
            return real(path, state)

        monkeypatch.setattr(training_module, "save_checkpoint", save_checkpoint)
    elif point == "metrics":
        real = Run.append_metrics

        def append_metrics(self, entry):
            if entry["epoch"] == FAULT_EPOCH:
                return fail_or_kill(real, self, entry)
            return real(self, entry)

        monkeypatch.setattr(Run, "append_metrics", append_metrics)
    elif point == "info":
        real = Run.update_info

        def update_info(self, **changes):
            if changes.get("epochs_done") == FAULT_EPOCH:
                return fail_or_kill(real, self, **changes)
            return real(self, **changes)

        monkeypatch.setattr(Run, "update_info", update_info)
    elif point == "best":  # best.pt, then best.json, of epoch 1: the first scored epoch is always the best so far
        real = best_epoch.keep_as_best

        def keep_as_best(folder, best, source):
            if best.epoch == 1:
                return fail_or_kill(real, folder, best, source)
            return real(folder, best, source)

        monkeypatch.setattr(best_epoch, "keep_as_best", keep_as_best)
    return fired


@pytest.mark.parametrize("fault", ["disk full", "io error", "kill"])
@pytest.mark.parametrize("point", ["grid", "metrics", "latest", "kept", "best", "info"])
def test_a_fault_at_any_write_point_then_resume_gives_the_uninterrupted_run(store, monkeypatch, point, fault):
    want = uninterrupted(store)
    run = store.create(config())
    with monkeypatch.context() as patch:
        fired = inject(patch, point, fault)
        if fault == "kill":
            with pytest.raises(Killed):
                Trainer(config(), run).fit()
        else:
            final = Trainer(config(), run).fit()
            assert isinstance(final, Failed)
            reason = FailureReason.DISK_FULL if fault == "disk full" else FailureReason.CRASHED
            assert final.reason is reason and run.read_info().reason is reason
            if fault == "disk full":
                assert "No space left" in final.message and "free some space, then resume" in final.message
                resumes_at = FAULT_EPOCH + 1 if point in ("kept", "info") else FAULT_EPOCH
                assert f"continues from epoch {resumes_at}." in final.message
    assert fired == [point]
    assert run.summary().epochs_done <= FAULT_EPOCH  # never more than the checkpoint covers, once repaired
    final = Trainer(config(), run).fit()
    assert isinstance(final, Finished), getattr(final, "message", "")
    assert_same(record(run), want)


def test_a_run_doubled_before_the_repair_lists_right_and_resuming_repairs_it(store):
    """The bug this suite exists for: epoch 1 appended twice, a grid and kept checkpoint of an
    epoch the checkpoint does not cover."""
    cfg = config().with_changes(epochs=2)
    run = store.create(cfg)
    assert isinstance(Trainer(cfg.with_changes(epochs=1), run).fit(), Finished)
    first = run.metrics_file.read_text()
    run.metrics_file.write_text(first + first + first.replace('"epoch": 1', '"epoch": 2'))
    shutil.copy(run.sample_file(1), run.sample_file(2))
    assert run.summary().epochs_done == 2  # distinct epochs, not lines
    assert [m["epoch"] for m in run.metrics().epochs] == [1, 2] and run.metrics().repeated == 1
    assert isinstance(Trainer(cfg, run).fit(), Finished)
    lines = [json.loads(line)["epoch"] for line in run.metrics_file.read_text().splitlines()]
    assert lines == [1, 2] and run.sample_epochs() == [1, 2]
    assert run.metrics().epochs[1]["d_loss"] != json.loads(first)["d_loss"]


def test_killed_before_the_first_checkpoint_starts_clean(store, monkeypatch):
    want = uninterrupted(store)
    run = store.create(config())
    real = training_module.save_checkpoint

    def killed_before_checkpoint(path, state):
        raise Killed

    monkeypatch.setattr(training_module, "save_checkpoint", killed_before_checkpoint)
    with pytest.raises(Killed):
        Trainer(config(), run).fit()
    monkeypatch.setattr(training_module, "save_checkpoint", real)
    assert run.metrics().epochs and not run.latest_checkpoint.exists()  # epoch 1's line, no checkpoint
    assert isinstance(Trainer(config(), run).fit(), Finished)
    assert_same(record(run), want)


def test_a_run_that_cannot_fit_is_refused_before_it_starts(store, monkeypatch):
    monkeypatch.setattr("workbench.core.store.disk_space.free_bytes", lambda folder: 1_000_000)
    run = store.create(config())
    final = Trainer(config(), run).fit()
    assert isinstance(final, Failed) and "Not enough free disk space" in final.message
    assert final.reason is FailureReason.DISK_FULL and run.info()["reason"] == "disk_full"
    assert "1.0 MB is free" in final.message and str(run.path) in final.message
    assert not run.latest_checkpoint.exists() and run.metrics().epochs == []


def test_space_estimate_is_close_to_what_a_run_writes(store):
    from workbench.core.store.disk_space import estimate_for_config

    run = store.create(config())
    Trainer(config(), run).fit()
    written = sum(f.stat().st_size for f in run.path.rglob("*") if f.is_file())
    needed = estimate_for_config(config())
    assert written <= needed.total <= 3 * written + 200_000
    assert abs(needed.checkpoint - run.latest_checkpoint.stat().st_size) < 0.3 * needed.checkpoint


def test_cli_process_killed_after_a_checkpoint_resumes_to_the_uninterrupted_run(store, tmp_path):
    """A real process, killed with SIGKILL right after epoch 2's latest checkpoint."""
    args = ["train", "--preset", "mlp-small", "--epochs", "3", "--max-batches", "4", "--keep-checkpoint-every",
            "1", "--eval-samples", "256"]
    script = (
        "import os, signal, sys\n"
        "import workbench.core.training.trainer as t\n"
        "real = t.save_checkpoint\n"
        "def save(path, state):\n"
        "    real(path, state)\n"
        "    if path.name == 'latest.pt' and state['epoch'] == 2:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "t.save_checkpoint = save\n"
        "from workbench.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    env = os.environ.copy()
    killed = subprocess.run([sys.executable, "-c", script, *args, "--name", "killed"], env=env,
                            capture_output=True, text=True, timeout=300)
    assert killed.returncode == -9, killed.stderr
    straight = subprocess.run([sys.executable, "-m", "workbench", *args, "--name", "straight"], env=env,
                              capture_output=True, text=True, timeout=300)
    assert straight.returncode == 0, straight.stderr
    resumed = subprocess.run([sys.executable, "-m", "workbench", "resume", "killed"], env=env,
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    got, want = record(store.get("killed")), record(store.get("straight"))
    assert_same(got, want)


def _mount_small_filesystem(folder, size: str) -> bool:
    folder.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                              capture_output=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def test_a_real_full_disk_fails_cleanly_and_resumes_once_space_is_freed(tmp_path, mnist_root, monkeypatch):
    home = tmp_path / "small"
    if not _mount_small_filesystem(home, "24m"):
        pytest.skip("this machine does not allow mounting a small filesystem (needs root and tmpfs)")
    try:
        monkeypatch.setenv("WORKBENCH_HOME", str(home))
        monkeypatch.setenv("WORKBENCH_DATA_DIR", str(mnist_root))
        cfg = config().with_changes(keep_checkpoint_every=0)
        run = RunStore().create(cfg)
        filler = home / "filler.bin"

        def fill_the_disk(event):
            if isinstance(event, EpochEnded) and event.epoch == 1:
                with open(filler, "wb") as f:
                    try:
                        while True:
                            f.write(b"\0" * 1_000_000)
                    except OSError:
                        pass

        final = Trainer(cfg, run).fit(fill_the_disk)
        assert isinstance(final, Failed), final
        assert final.reason is FailureReason.DISK_FULL
        assert "No space left on the disk" in final.message and str(run.path) in final.message
        assert "free some space, then resume" in final.message
        filler.unlink()
        assert isinstance(Trainer(cfg, run).fit(), Finished)
        lines = [json.loads(line)["epoch"] for line in run.metrics_file.read_text().splitlines()]
        assert lines == [1, 2, 3] and run.sample_epochs() == [1, 2, 3]
    finally:
        subprocess.run(["umount", str(home)], capture_output=True, timeout=20)


@pytest.mark.parametrize("fault", ["disk full", "kill"])
def test_a_fault_while_evaluation_results_are_stored_leaves_the_metrics_whole(store, monkeypatch, fault):
    import workbench.core.store.runs as runs_module
    from workbench.core.evaluation.run_scores import evaluate_run

    cfg = config().with_changes(eval_samples=0, epochs=2)
    run = store.create(cfg)
    assert isinstance(Trainer(cfg, run).fit(), Finished)
    before = run.metrics_file.read_text()
    real = runs_module.write_bytes

    def failing_write(path, data):
        if fault == "kill":
            raise Killed  # dies before the rename: the old file stays
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(runs_module, "write_bytes", failing_write)
    with pytest.raises(Killed if fault == "kill" else OSError):
        evaluate_run(run, samples=256)
    assert run.metrics_file.read_text() == before and run.summary().status == "finished"
    monkeypatch.setattr(runs_module, "write_bytes", real)
    scores = evaluate_run(run, samples=256)
    assert run.metrics().epochs[-1]["quality"] == scores["quality"] and run.summary().epochs_done == 2
