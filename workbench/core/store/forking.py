"""Forking a run: a new ordinary run that starts from epoch E's checkpoint of a parent, with
some config fields changed, and trains on from E+1 (`core.store.lineage` shows its epochs 1..E
from the parent).

A fork keeps the parent's networks, optimiser state, fixed noise and random stream, so only
fields that change the optimisation may change; fields that change a network's shape or the
data are refused by name. Everything is checked before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from workbench.core.config import ConfigError, FieldError, TrainConfig, coerce, field_names
from workbench.core.presets import matching_preset
from workbench.core.store.best_epoch import read_best
from workbench.core.store.checkpoints import CheckpointError, load_checkpoint, save_checkpoint
from workbench.core.store.epoch_checkpoints import EpochCheckpoint, checkpoint_for, epoch_checkpoints
from workbench.core.store.runs import Run, RunStore

#: fields a fork may change: they act on the optimisation, the length, the scoring or where it
#: runs, and keep the networks and optimiser state (a new seed reseeds the random stream at E)
CHANGEABLE = (
    "lr_g", "lr_d", "beta1_g", "beta2_g", "beta1_d", "beta2_d", "lr_decay", "loss", "real_label",
    "d_steps", "g_ema", "batch_size", "rotation_degrees", "epochs", "max_batches", "eval_samples",
    "keep_checkpoint_every", "tensorboard", "seed", "device", "data_dir",
)
#: fields a fork refuses, with what they would change
REFUSED = {
    "dataset": "the data", "image_folder": "the data", "channels": "the data and both networks' shape",
    "image_size": "the data and both networks' shape", "image_range": "the data's scale",
    "architecture": "both networks' shape", "g_widths": "the generator's shape",
    "d_widths": "the discriminator's shape", "latent_size": "the generator's shape",
    "d_norm": "the discriminator's layers", "d_stddev": "the discriminator's layers",
    "dropout": "both networks' layers",
    "latent_distribution": "the noise the generator learnt from",
    "weight_init": "only the first weights, which a fork takes from the checkpoint",
    "grid_size": "the fixed noise the grids are drawn from",
    "condition": "both networks' inputs (the class embedding and projection)",
}
assert set(CHANGEABLE) | set(REFUSED) == set(field_names()), "every field is changeable or refused"


class ForkError(ValueError):
    """Every reason a fork cannot be made, one per line, each naming its field."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class ForkPlan:
    """What `fork_run` makes: checked, nothing written yet."""

    parent: Run
    point: EpochCheckpoint
    config: TrainConfig
    changed: dict  # field -> new value, only the fields that differ from the parent's


def fork_point(run: Run, epoch: int | str) -> EpochCheckpoint:
    """Epoch `epoch`'s checkpoint (a number, "latest" or "best"); ForkError names what exists."""
    try:
        if epoch == "best":
            best = read_best(run.checkpoints_dir)
            if best is None:
                raise ForkError([f"epoch: best, but run {run.id} keeps no best epoch (none was scored)"])
            return epoch_checkpoints(run)[best.epoch]
        point = checkpoint_for(run, None if epoch == "latest" else int(epoch))
    except CheckpointError as e:
        raise ForkError([str(e)]) from None
    if point.mid_epoch:
        raise ForkError([f"epoch: {point.epoch}'s only checkpoint in run {run.id} was saved during epoch "
                         f"{point.epoch + 1}; resume the run to finish that epoch, or pick a kept epoch"])
    return point


def fork_config(parent: TrainConfig, changes: dict, epoch: int) -> tuple[TrainConfig, dict]:
    """(the fork's config, the fields that really change) from the parent's config and `changes`
    (values or their text). Raises ForkError listing every problem at once: unknown fields,
    refused ones, bad values (the config's own validation), too few epochs."""
    base = parent.to_dict()
    problems, allowed = [], {}
    for name, value in changes.items():
        if name not in base:
            problems.append(f"{name}: not a config field; a fork can change {', '.join(CHANGEABLE)}")
            continue
        try:
            same = coerce(name, value) == base[name]
        except FieldError:
            same = False
        if same:
            continue
        if name in REFUSED:
            problems.append(f"{name}: a fork cannot change it ({base[name]} → {value}): it changes "
                            f"{REFUSED[name]}; start a new run for that")
        else:
            allowed[name] = value
    config = None
    try:
        config = TrainConfig.from_changes(base, allowed)
    except ConfigError as e:
        problems += [str(error) for error in e.errors]
    try:
        epochs = coerce("epochs", allowed.get("epochs", base["epochs"]))
    except FieldError:
        epochs = None  # reported above
    if epochs is not None and epochs <= epoch:
        problems.append(str(FieldError("epochs", epochs, f"more than the fork's epoch {epoch}, so the "
                                                         f"fork has epochs to train")))
    if problems:
        raise ForkError(problems)
    changed = {k: v for k, v in config.to_dict().items() if v != base[k]}
    return config, changed


def plan_fork(parent: Run, epoch: int | str, changes: dict) -> ForkPlan:
    """Check a fork completely (the epoch's checkpoint, every changed field) without writing."""
    point = fork_point(parent, epoch)
    try:
        parent_config = parent.config()
    except ConfigError as e:
        raise ForkError([f"run {parent.id}'s config.json is not a valid configuration: {e}"]) from None
    config, changed = fork_config(parent_config, changes, point.epoch)
    return ForkPlan(parent, point, config, changed)


def fork_run(store: RunStore, plan: ForkPlan, name: str | None = None, notes: str = "",
             tags: dict | None = None) -> Run:
    """Make the fork `plan` describes: a run whose latest checkpoint is the parent's epoch E,
    whose run.json names the parent and the epoch (and any other `tags`, e.g. a study's trial).
    Its trainer continues from E+1."""
    state = load_checkpoint(plan.point.path)
    epoch = plan.point.epoch
    if int(state["epoch"]) != epoch or state.get("partial"):
        raise ForkError([f"epoch: {plan.point.path.name} of run {plan.parent.id} no longer holds the end of epoch "
                         f"{epoch} (it is being trained?); try again"])
    if "seed" in plan.changed:  # a new random stream from E on: other batches and noise
        state.update(rng_cpu=torch.Generator().manual_seed(plan.config.seed).get_state(), rng_cuda=None)
    parent_name = plan.parent.summary().name
    run = store.create(plan.config, name=name or f"{parent_name} from epoch {epoch}", notes=notes,
                       preset=matching_preset(plan.config),
                       tags={**(tags or {}), "parent": {"run": plan.parent.id, "epoch": epoch}, "epochs_done": epoch})
    try:
        save_checkpoint(run.latest_checkpoint, state)
    except BaseException:
        store.delete(run)
        raise
    return run


__all__ = ["CHANGEABLE", "REFUSED", "ForkError", "ForkPlan", "fork_config", "fork_point", "fork_run", "plan_fork"]
