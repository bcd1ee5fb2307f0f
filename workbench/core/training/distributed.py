"""One run trained by several processes started by torchrun: DistributedDataParallel on both
networks, gloo for CPU tensors and NCCL for CUDA ones.

Every rank draws the same global batch of `batch_size` images and the same noise from the same
random stream (rank 0's state is shared at the start and at every epoch), and trains on its
equal slice of both; DDP averages the gradients, so each update is the one a single process
makes from the whole batch (batch-norm statistics aside: each process normalizes its own
slice). Rank 0 alone reads and writes the run folder; the others receive the config and the
checkpoint from it and only train. Whatever ends training is agreed by a small collective, so
every rank stops at the same batch; a rank that dies makes the next collective fail on the
others, which then end with a message saying so.

The trainer calls the same hooks on `SINGLE` (one process: every hook is the identity) and on a
`ProcessGroup`.
"""

from __future__ import annotations

import math
import os
import re
import socket
from contextlib import contextmanager, nullcontext
from datetime import timedelta

import torch

from workbench.core import words
from workbench.core.store.run_info import RunInfo

TIMEOUT_ENV = "WORKBENCH_DDP_TIMEOUT"
#: seconds a rank waits in a collective for the others; rank 0 may be evaluating meanwhile
DEFAULT_TIMEOUT = 1800
#: the ranks agree whether anyone was asked to stop every this many batches (and after each epoch)
STOP_CHECK_BATCHES = 10


class OtherRankFailed(RuntimeError):
    """Another rank failed, or ended, before this one could; its output and the run say why."""


def launched() -> bool:
    """True in a process that torchrun started as one of several."""
    return "RANK" in os.environ and int(os.environ.get("WORLD_SIZE") or 1) > 1


class SingleProcess:
    """The hooks for one process training alone: nothing is shared, every hook is the identity."""

    rank = 0
    world_size = 1
    writes = True  # this process writes the run folder
    backend = None

    def from_writer(self, make, device=None):
        return make()

    def start(self, state, problem: str | None) -> str | None:
        return problem

    def networks(self, state, do_g: bool):
        return state.generator, state.discriminator

    def take(self, batch: torch.Tensor) -> torch.Tensor:
        return batch

    def permutation(self, source) -> torch.Tensor:
        return source.permutation()

    def stop_requested(self, control, batches: int = 0) -> bool:
        return control.stopped

    def epoch_stats(self, stats: torch.Tensor) -> torch.Tensor:
        return stats

    def lost_peer_message(self, error: BaseException, saved_epoch: int) -> str | None:
        return None

    def trained_on(self, history, device, epochs_done: int) -> list[dict]:
        """run.json's `training`: one entry per way the run was trained, from the epoch it began."""
        return with_segment(history, {"from_epoch": epochs_done, "processes": 1, "nodes": 1,
                                      "backend": None, "devices": [str(device)]})


SINGLE = SingleProcess()


def with_segment(history, segment: dict) -> list[dict]:
    """`history` plus `segment`, unless the last entry already says the same from an earlier epoch."""
    history = [h for h in history or [] if isinstance(h, dict)]
    if history and {k: v for k, v in history[-1].items() if k != "from_epoch"} == \
            {k: v for k, v in segment.items() if k != "from_epoch"}:
        return history
    return history + [segment]


def split_problem(count: int, batch_size: int, max_batches: int, world_size: int) -> str | None:
    """Why `world_size` processes cannot share this epoch's batches equally, or None. Every
    rank takes batch_size / world_size images of each batch; of the epoch's last, smaller batch,
    the fewer than world_size images that do not split evenly sit that epoch out."""
    if batch_size % world_size:
        lower, upper = batch_size // world_size * world_size, -(-batch_size // world_size) * world_size
        nearby = f"{lower} or {upper}" if lower else str(upper)
        return (f"batch_size: {batch_size} does not split evenly over {world_size} processes. The batch stays "
                f"the whole step's batch on any number of processes, so give a multiple of {world_size} "
                f"(e.g. {nearby}) or start another number of processes.")
    full = math.ceil(count / batch_size)
    batches = min(full, max_batches) if max_batches else full
    last = count - (batches - 1) * batch_size if batches == full else batch_size
    if last < world_size:
        return (f"The epoch's last batch holds {words.count(last, 'image')}, fewer than the {world_size} processes: "
                f"set max_batches to {batches - 1} to leave it out, or start fewer processes.")
    return None


class ProcessGroup(SingleProcess):
    """This process's place in a torchrun launch, and the collectives training needs."""

    def __init__(self, rank: int, world_size: int, local_rank: int, nccl: bool):
        self.rank, self.world_size, self.local_rank = rank, world_size, local_rank
        self._nccl = nccl
        self.backend = "gloo"  # the one the networks' gradients travel by: nccl on CUDA GPUs
        self.device = torch.device("cpu")
        self.places: list[tuple[str, str]] = []  # (host, device) of every rank
        self._g = self._d = None

    @property
    def writes(self) -> bool:
        return self.rank == 0

    # ---- before training: one run, one config, the data on every rank -----------------------
    def from_writer(self, make, device=None):
        """`make()` on rank 0, and its value on every rank (tensors moved to `device`); when it
        raises, rank 0 raises the error and the others OtherRankFailed with its message."""
        if self.rank == 0:
            try:
                value = make()
            except BaseException as e:
                self._broadcast(("raised", str(e) or type(e).__name__))
                raise
            self._broadcast(("ok", _mapped(value, lambda t: t.cpu())))
            return value
        outcome, value = self._broadcast(None)
        if outcome == "raised":
            raise OtherRankFailed(value)
        return _mapped(value, lambda t: t.to(device)) if device is not None else value

    def prepare(self, config) -> tuple[torch.device, str | None]:
        """This rank's device and training images, and the first problem any rank met (the same
        answer on every rank, so they all train or all stop)."""
        from workbench.core.data.training_data import training_images

        problem = None
        try:
            self.device = self._choose_device(config.device)
            self.backend = "nccl" if self.device.type == "cuda" and self._nccl else "gloo"
            images = training_images(config, self.device)
            problem = split_problem(images.shape[0], config.batch_size, config.max_batches, self.world_size)
        except Exception as e:  # no GPU, no dataset on this node, ...
            problem = str(e) or type(e).__name__
        gathered = self._gather((socket.gethostname(), str(self.device), problem))
        self.places = [(host, device) for host, device, _ in gathered]
        return self.device, _first_problem(gathered)

    def _choose_device(self, name: str) -> torch.device:
        if name == "mps":
            raise ValueError("device mps: processes training together talk through gloo or NCCL, which do not "
                             "work with Apple's MPS; use --device cpu.")
        if name in ("auto", "cuda") and torch.cuda.is_available():
            count = torch.cuda.device_count()
            if self.local_rank >= count:
                raise ValueError(f"this node starts more processes than its {words.count(count, 'CUDA GPU')}; "
                                 f"give --nproc-per-node {count} or less.")
            torch.cuda.set_device(self.local_rank)
            return torch.device("cuda", self.local_rank)
        if name == "cuda":
            raise ValueError(f"device cuda was asked for, but {socket.gethostname()} has no CUDA GPU; use auto or cpu.")
        return torch.device("cpu")

    def start(self, state, problem: str | None) -> str | None:
        """Agree on rank 0's last check (disk space); then wrap both networks for DDP."""
        problem = _first_problem(self._gather((None, None, problem)))
        if problem is None:
            self._g, self._d = (self._wrapped(net) for net in (state.generator, state.discriminator))
        return problem

    def _wrapped(self, net):
        """`net` in DDP, buffers not synced before each forward pass: batch-norm running
        statistics stay each rank's own, so rank 0's, the ones saved, evolve exactly as they
        would without the others (and D's buffers are not rewritten between its two forward
        passes of one step)."""
        import inspect

        from torch.nn.parallel import DistributedDataParallel

        newer = "forward_sync_buffers" in inspect.signature(DistributedDataParallel).parameters  # newer torch
        return DistributedDataParallel(net, device_ids=[self.device.index] if self.device.type == "cuda" else None,
                                       **({"forward_sync_buffers": False} if newer else {"broadcast_buffers": False}))

    def release(self) -> None:
        """Drop the DDP wrappers before the process group goes."""
        self._g = self._d = None

    def leave_together(self) -> None:
        """Wait until every rank is done (all finished or all stopped): a rank that tears down
        while another still works can make the other abort. Not after a failure: the others
        may be gone."""
        import torch.distributed as dist

        try:
            with self._collective():
                dist.barrier()
        except OtherRankFailed:
            pass

    # ---- in the loop ------------------------------------------------------------------------
    def networks(self, state, do_g: bool):
        """The networks one step runs: DDP's wrappers, except the generator when it is not
        updated in this step (DDP would wait for a backward pass that never comes)."""
        return (self._g if do_g else state.generator), self._d

    def take(self, batch: torch.Tensor) -> torch.Tensor:
        """This rank's equal slice of a global batch."""
        k = batch.shape[0] // self.world_size
        return batch[self.rank * k:(self.rank + 1) * k]

    def permutation(self, source) -> torch.Tensor:
        """The epoch's order, the same on every rank: rank 0's random state goes to all first, so
        nothing a rank drew on its own (dropout) can make the orders differ."""
        import torch.distributed as dist

        with self._collective():
            state = torch.get_rng_state()
            dist.broadcast(state, 0)
            torch.set_rng_state(state)
            if self.device.type == "cuda":
                state = torch.cuda.get_rng_state(self.device)
                dist.broadcast(state, 0)
                torch.cuda.set_rng_state(state, self.device)
        return source.permutation()

    def stop_requested(self, control, batches: int = 0) -> bool:
        """Whether any rank was asked to stop, agreed every STOP_CHECK_BATCHES batches (a CPU
        tensor: no wait for the GPU); a rank that learns it here stops too."""
        import torch.distributed as dist

        if batches % STOP_CHECK_BATCHES:
            return False
        flag = torch.tensor([int(control.stopped)])
        with self._collective():
            dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        if flag.item() and not control.stopped:
            control.stop()
        return bool(flag.item())

    def epoch_stats(self, stats: torch.Tensor) -> torch.Tensor:
        """Per-batch values of the whole batch: the mean of the ranks' equal slices. Rows already
        global (a resumed epoch's) stay as they are."""
        import torch.distributed as dist

        stats = stats.clone()
        with self._collective():
            dist.all_reduce(stats, op=dist.ReduceOp.SUM)
        return stats.div_(self.world_size)

    def lost_peer_message(self, error: BaseException, saved_epoch: int) -> str | None:
        import torch.distributed as dist

        if isinstance(error, OtherRankFailed):
            what = str(error)
        elif isinstance(error, dist.DistError) or "gloo" in str(error) or "NCCL" in str(error):
            what = _lost_peer(self.world_size, error)
        else:
            return None
        return (f"Training stopped: {what}. The run is kept: resume it, on any number of processes; it "
                f"continues from epoch {saved_epoch + 1}.")

    def trained_on(self, history, device, epochs_done: int) -> list[dict]:
        return with_segment(history, {"from_epoch": epochs_done, "processes": self.world_size,
                                      "nodes": len({host for host, _ in self.places}), "backend": self.backend,
                                      "devices": [d for _, d in self.places]})

    # ---- plumbing ---------------------------------------------------------------------------
    def _broadcast(self, value):
        import torch.distributed as dist

        box = [value]
        with self._collective():
            dist.broadcast_object_list(box, src=0)
        return box[0]

    def _gather(self, value) -> list:
        import torch.distributed as dist

        out = [None] * self.world_size
        with self._collective():
            dist.all_gather_object(out, value)
        return out

    @contextmanager
    def _collective(self):
        """A collective that fails because another rank is gone raises OtherRankFailed."""
        import torch.distributed as dist

        try:
            yield
        except dist.DistError as e:
            raise OtherRankFailed(_lost_peer(self.world_size, e)) from e


def _lost_peer(world_size: int, error: BaseException) -> str:
    """'another of the N training processes ended or stopped answering (the backend's reason)'."""
    text = (str(error).strip().splitlines() or [type(error).__name__])[0]
    text = re.sub(r"^\[[^\]]*\]\s*", "", text)  # gloo's "[source file:line]" prefix
    reason = re.split(r"\.\s+(?=[A-Z])", text, maxsplit=1)[0].rstrip(".")[:160]  # its first sentence
    return f"another of the {world_size} training processes ended or stopped answering ({reason})"


def _first_problem(gathered: list) -> str | None:
    for rank, (_host, _device, problem) in enumerate(gathered):
        if problem:
            return problem if rank == 0 else f"rank {rank}: {problem}"
    return None


def _mapped(value, move):
    """`value` with every tensor in its dicts, lists and tuples passed through `move`."""
    if isinstance(value, torch.Tensor):
        return move(value)
    if isinstance(value, dict):
        return {k: _mapped(v, move) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_mapped(v, move) for v in value)
    return value


def timeout_seconds() -> float:
    try:
        return float(os.environ.get(TIMEOUT_ENV) or DEFAULT_TIMEOUT)
    except ValueError:
        return DEFAULT_TIMEOUT


@contextmanager
def joined():
    """This process in torchrun's process group (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and
    MASTER_PORT from its environment) for the length of the block; left when it ends."""
    import torch.distributed as dist

    rank, world_size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ.get("LOCAL_RANK") or 0)
    cuda = torch.cuda.is_available() and dist.is_nccl_available()
    dist.init_process_group("cpu:gloo,cuda:nccl" if cuda else "gloo", rank=rank, world_size=world_size,
                            timeout=timedelta(seconds=timeout_seconds()))
    group = ProcessGroup(rank, world_size, local_rank, cuda)
    try:
        yield group
    finally:
        group.release()
        try:
            dist.destroy_process_group()
        except Exception:  # a group broken by a lost rank: the process is ending anyway
            pass


class FollowerRun:
    """What a rank other than 0 trains into: the run's id and nothing on disk (rank 0 writes)."""

    path = latest_checkpoint = None

    def __init__(self, run_id: str):
        self.id = run_id

    def lock(self):
        return nullcontext()

    def read_info(self) -> RunInfo:
        return RunInfo()

    def update_info(self, **changes) -> RunInfo:
        return RunInfo()

    def record_failure(self, reason, message: str) -> None:
        pass

    def save_config(self, config) -> None:
        pass

    def trim_to(self, epoch: int) -> list[str]:
        return []
