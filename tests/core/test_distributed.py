"""One run trained by two processes started by torchrun (gloo on the CPU), on real MNIST: the
same losses as one process, a stop on rank 0 that ends both and resumes on one process, and a
killed rank that ends the other with a message."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from workbench.cli import main
from workbench.cli.parser import build_parser
from workbench.cli.training import train_config_from_args
from workbench.core.store.check import check_run
from workbench.core.store.checkpoints import load_checkpoint
from workbench.core.store.runs import RunStore
from workbench.core.training.distributed import split_problem, with_segment
from workbench.core.training.trainer import Trainer

# mlp-small has neither batch norm nor dropout, so two processes must compute what one does
SMALL = ["--preset", "mlp-small", "--device", "cpu", "--seed", "3"]
# Two processes average two half-batch gradients where one process takes the mean over the
# whole batch: the same update but for floating-point summation order, ~1e-7 relative at first,
# which a GAN's dynamics grow to ~1e-6 after 40 steps and at most 2e-4 (per batch) after 450.
# One wrong draw (the same batches with the noise stream shifted by one vector) already moves
# the per-batch losses of the first 100 steps by 6e-3 (median) and 2.6e-2 (max), so 2e-3 on each
# batch's losses tells them apart; epoch means, which average that away to ~3e-4, get 1e-3.
BATCH_RTOL, EPOCH_RTOL = 2e-3, 1e-3
KEYS = ("d_loss", "g_loss", "d_real", "d_fake")


def torchrun(*args: str) -> subprocess.Popen:
    """`python -m torch.distributed.run --standalone --nproc-per-node 2 -m workbench train ...`
    with the test's environment (its WORKBENCH_HOME and data folder); --standalone picks a free
    port, so tests running side by side do not meet."""
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
               "-m", "workbench", *args]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=os.environ.copy())


def finish(child: subprocess.Popen, timeout: float = 60) -> tuple[str, str]:
    try:
        return child.communicate(timeout=timeout)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()


def only_run():
    (run,) = RunStore().runs()
    return run


@pytest.fixture(autouse=True)
def one_thread():
    """Train in this process on one thread, as torchrun's workers do: on a busy machine with
    few cores, more threads make these tiny steps many times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def one_process_reference(args: list[str]) -> list[dict]:
    """The metrics of the same config trained by one process (this one, into its own store)."""
    config, _ = train_config_from_args(build_parser().parse_args(["train", *args]))
    run = RunStore(Path(os.environ["WORKBENCH_HOME"]) / "reference").create(config)
    Trainer(config, run).fit()
    return run.metrics().epochs


def assert_close_metrics(got: list[dict], expected: list[dict]) -> None:
    assert [m["epoch"] for m in got] == [m["epoch"] for m in expected]
    for a, b in zip(got, expected):
        for key in KEYS:
            assert a[key] == pytest.approx(b[key], rel=EPOCH_RTOL), (a["epoch"], key)
        for key in ("batch_d_loss", "batch_g_loss"):
            assert a[key] == pytest.approx(b[key], rel=BATCH_RTOL), (a["epoch"], key)


def wait_for(predicate, timeout: float = 60) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def epoch_saved() -> bool:
    """True once the first epoch's checkpoint is written (run.json records it last)."""
    runs = RunStore().runs()
    try:
        return bool(runs) and runs[0].info().get("epochs_done", 0) >= 1
    except (OSError, ValueError):
        return False


def rank_pid(parent: int, rank: int) -> int | None:
    """The pid of the worker torchrun (`parent`) started as `rank`, from /proc."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid == parent and f"RANK={rank}".encode() in (entry / "environ").read_bytes().split(b"\0"):
                return int(entry.name)
        except (OSError, ValueError, IndexError):
            continue
    return None


needs_gloo = pytest.mark.skipif(not (torch.distributed.is_available() and torch.distributed.is_gloo_available()),
                                reason="this torch has no gloo backend")
needs_proc = pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="finds ranks through /proc")


@needs_gloo
def test_two_processes_train_one_run_as_one_process_does(data, capsys):
    args = [*SMALL, "--epochs", "2", "--max-batches", "20"]
    out, err = finish(torchrun("train", *args, "--name", "two"))
    assert "2 processes on 1 node, gloo: cpu ×2; each trains on 64 images of every batch of 128" in out, err
    assert "Finished: 2 epochs" in out and out.count("Finished") == 1  # rank 0 alone reports
    run = only_run()  # one run folder, made by rank 0
    info = run.info()
    assert info["status"] == "finished" and info["epochs_done"] == 2 and info["name"] == "two"
    assert info["training"] == [{"from_epoch": 0, "processes": 2, "nodes": 1, "backend": "gloo",
                                 "devices": ["cpu", "cpu"]}]
    assert run.sample_epochs() == [1, 2] and check_run(run).ok
    assert load_checkpoint(run.latest_checkpoint)["epoch"] == 2
    assert_close_metrics(run.metrics().epochs, one_process_reference(args))

    assert main(["show", run.id]) == 0
    assert "trained on: 2 processes on 1 node, gloo (cpu ×2) from epoch 1" in capsys.readouterr().out


@needs_gloo
def test_two_processes_train_a_conditional_run_as_one_process_does(data):
    """Each rank takes its slice of the batch's labels with its slice of the images."""
    args = [*SMALL, "--condition", "class", "--epochs", "1", "--max-batches", "10"]
    out, err = finish(torchrun("train", *args))
    assert "Finished: 1 epoch" in out, err
    run = only_run()
    assert run.info()["classes"] == [str(d) for d in range(10)]
    assert_close_metrics(run.metrics().epochs, one_process_reference(args))


@needs_gloo
@needs_proc
def test_a_stop_on_rank_0_mid_epoch_ends_both_and_resumes_exactly_on_one_process(data, capsys):
    args = [*SMALL, "--epochs", "2", "--max-batches", "100"]
    child = torchrun("train", *args)
    try:
        assert wait_for(epoch_saved)
        time.sleep(0.2)  # into epoch 2, which takes a second or more here
        rank_0 = rank_pid(child.pid, 0)
        assert rank_0, "rank 0 not found"
        os.kill(rank_0, signal.SIGINT)  # rank 1 gets no signal: it must learn from rank 0
    finally:
        out, err = finish(child)
    assert "Stopped during epoch 2" in out, err
    assert "Traceback" not in out and "[rank 1]" not in err
    run = only_run()
    assert run.info()["status"] == "stopped"
    ckpt = load_checkpoint(run.latest_checkpoint)
    assert ckpt["epoch"] == 1 and ckpt["partial"]["next_batch"] % 10 == 0  # the ranks agree every 10 batches
    assert [m["epoch"] for m in run.metrics().epochs] == [1]

    assert main(["resume", run.id]) == 0  # one process takes over where two stopped
    assert [m["epoch"] for m in run.metrics().epochs] == [1, 2]
    assert main(["check", run.id]) == 0
    assert_close_metrics(run.metrics().epochs, one_process_reference(args))  # as if never stopped
    assert [(s["from_epoch"], s["processes"]) for s in run.info()["training"]] == [(0, 2), (1, 1)]
    capsys.readouterr()
    assert main(["show", run.id]) == 0
    assert "from epoch 1; 1 process (cpu) from epoch 2" in capsys.readouterr().out


@needs_gloo
@needs_proc
def test_a_killed_rank_ends_the_other_with_a_message_and_the_run_resumes(data):
    child = torchrun("train", *SMALL, "--epochs", "2", "--max-batches", "100")
    try:
        assert wait_for(epoch_saved)
        rank_1 = rank_pid(child.pid, 1)
        assert rank_1, "rank 1 not found"
        os.kill(rank_1, signal.SIGKILL)
    finally:
        out, err = finish(child)
    assert child.returncode != 0, out
    run = only_run()
    info = run.info()  # rank 0 handles torchrun's SIGTERM as a stop, so it lives to write why
    assert info["status"] == "failed" and "another of the 2 training processes ended" in info["message"], info
    done = load_checkpoint(run.latest_checkpoint)["epoch"]
    assert done >= 1 and check_run(run).ok
    assert main(["resume", run.id]) == 0
    assert [m["epoch"] for m in run.metrics().epochs] == [1, 2]


def test_the_batch_must_split_evenly_over_the_processes():
    assert split_problem(60000, 128, 0, 2) is None
    assert split_problem(60000, 64, 0, 32) is None  # the last batch of 32 gives each process one image
    message = split_problem(60000, 100, 0, 3)
    assert "batch_size: 100" in message and "multiple of 3" in message and "99 or 102" in message
    message = split_problem(60000, 64, 0, 64)  # the last batch holds 32 images
    assert "32 images, fewer than the 64 processes" in message and "max_batches to 937" in message
    assert split_problem(60000, 64, 100, 64) is None  # capped: every batch is whole


def test_training_history_adds_a_way_only_when_it_changes():
    two = {"from_epoch": 0, "processes": 2, "nodes": 1, "backend": "gloo", "devices": ["cpu", "cpu"]}
    one = {"from_epoch": 3, "processes": 1, "nodes": 1, "backend": None, "devices": ["cpu"]}
    history = with_segment(None, two)
    assert with_segment(history, {**two, "from_epoch": 2}) == [two]
    assert with_segment(history, one) == [two, one]


def test_a_single_process_run_records_how_it_was_trained(data):
    from workbench.core.presets import preset_config

    config = preset_config("mlp-small").with_changes(epochs=1, max_batches=2, device="cpu")
    run = RunStore().create(config)
    Trainer(config, run).fit()
    assert run.info()["training"] == [{"from_epoch": 0, "processes": 1, "nodes": 1, "backend": None,
                                       "devices": ["cpu"]}]
    assert torch.isfinite(torch.tensor(run.metrics().epochs[0]["d_loss"]))
