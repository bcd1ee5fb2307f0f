"""A run's networks as of any epoch that has a checkpoint: the kept epoch files, the latest, and
the best epoch's copy (best.pt). Evaluation and generation both pick an epoch this way (latest
by default)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workbench.core.nets.averaging import sampling_weights
from workbench.core.nets.models import (
    build_discriminator,
    build_generator,
    with_weights,
)
from workbench.core.store.best_epoch import CHECKPOINT_NAME, read_best
from workbench.core.store.checkpoints import CheckpointError, load_checkpoint
from workbench.core.store.lineage import fork_epoch
from workbench.core.store.runs import Run


@dataclass(frozen=True)
class EpochCheckpoint:
    epoch: int
    path: Path
    mid_epoch: bool  # the latest checkpoint of a run stopped during the next epoch


def saved_checkpoints(run: Run) -> dict[int, EpochCheckpoint]:
    """The epochs training saved, ascending: kept epoch files, then the latest (which wins for
    its epoch unless it was saved mid-epoch). A fork's start (its parent's epoch E, copied) is
    not one of its own epochs: scoring and forking it go to the parent."""
    out = {e: EpochCheckpoint(e, run.epoch_checkpoint(e), False) for e in run.kept_checkpoint_epochs()}
    if run.latest_checkpoint.exists():
        state = load_checkpoint(run.latest_checkpoint)
        epoch = int(state["epoch"])
        if epoch not in out or not state.get("partial"):
            out[epoch] = EpochCheckpoint(epoch, run.latest_checkpoint, bool(state.get("partial")))
    inherited = fork_epoch(run)
    return {e: c for e, c in sorted(out.items()) if e > inherited or (e == inherited and c.mid_epoch)}


def epoch_checkpoints(run: Run) -> dict[int, EpochCheckpoint]:
    """Every epoch a checkpoint holds the weights of, ascending: the saved ones, and the best
    epoch's when no other file holds it (a run that keeps only the latest)."""
    out = saved_checkpoints(run)
    best = read_best(run.checkpoints_dir)
    if best is not None and best.epoch not in out:
        out[best.epoch] = EpochCheckpoint(best.epoch, run.checkpoints_dir / CHECKPOINT_NAME, False)
    return dict(sorted(out.items()))


def checkpoint_for(run: Run, epoch: int | None = None) -> EpochCheckpoint:
    """The checkpoint of `epoch` (None: the latest); CheckpointError names the epochs there are."""
    available = epoch_checkpoints(run)
    if not available:
        raise CheckpointError(f"Run {run.id} has no checkpoint yet: train at least one epoch first.")
    if epoch is None:
        return available[max(available)]
    if epoch not in available:
        raise CheckpointError(f"epoch: {epoch} has no checkpoint in run {run.id}; epochs with one: "
                              f"{', '.join(map(str, available))}.")
    return available[epoch]


def load_networks(run: Run, target: EpochCheckpoint, device="cpu"):
    """(config, generator, discriminator) with the checkpoint's weights, in eval mode."""
    config = run.config()
    state = load_checkpoint(target.path, device)
    if int(state["epoch"]) != target.epoch:  # a new best.pt without its best.json: killed between the two
        raise CheckpointError(f"{target.path.name} holds epoch {state['epoch']}, not {target.epoch}; "
                              f"`gan-workbench check --repair` puts that right.")
    classes = len(state.get("classes") or [])  # a conditional run's, which it was built for
    generator = with_weights(build_generator, config, sampling_weights(state), device, classes)
    discriminator = with_weights(build_discriminator, config, state["discriminator"], device, classes)
    generator.eval()
    discriminator.eval()
    return config, generator, discriminator
