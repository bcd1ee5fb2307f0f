"""How much disk a run will need, estimated before it starts, so that a run is refused with a
clear message instead of failing on a full disk in its first checkpoint."""

from __future__ import annotations

import math
from dataclasses import dataclass

from workbench.core import words
from workbench.core.atomic import format_size, free_bytes
from workbench.core.config import TrainConfig

GRID_PNG_BYTES_PER_PIXEL = 0.7  # per pixel and channel: grids of digits compress to well under a byte
METRICS_LINE_BYTES = 4_000  # a metrics.jsonl line with its 2 × 100-point batch trace and scores


@dataclass(frozen=True)
class SpaceEstimate:
    checkpoint: int  # one checkpoint file: weights and Adam state of both networks
    checkpoints: int  # files the run writes from here: latest (+ a temporary copy), kept ones, best.pt if scored
    per_epoch: int  # sample grid and metrics line
    epochs: int

    @property
    def total(self) -> int:
        return self.checkpoint * self.checkpoints + self.per_epoch * self.epochs

    def describe(self) -> str:
        return (f"about {format_size(self.total)}: {words.count(self.checkpoints, 'checkpoint file')} of "
                f"{format_size(self.checkpoint)} and {format_size(self.per_epoch)} per epoch for grids and metrics")


def estimate(config: TrainConfig, parameters: int, epochs_done: int = 0) -> SpaceEstimate:
    """The space still to be written by a run whose networks hold `parameters` weights in all."""
    checkpoint = parameters * 4 * 3 + config.grid_size * config.latent_size * 4 + 64_000
    every = config.keep_checkpoint_every
    kept = (config.epochs // every - epochs_done // every) if every else 0
    side = math.ceil(math.sqrt(config.grid_size))
    pixels = (side * (config.image_size + 2) + 2) ** 2 * config.channels
    per_epoch = int(pixels * GRID_PNG_BYTES_PER_PIXEL) + METRICS_LINE_BYTES
    best = 1 if config.eval_samples else 0  # the best epoch's copy, kept beside the latest
    return SpaceEstimate(checkpoint, 2 + best + max(kept, 0), per_epoch, max(config.epochs - epochs_done, 0))


def config_parameters(config: TrainConfig) -> int:
    """Weights in both networks, counted without allocating them (PyTorch's meta device)."""
    import torch

    from workbench.core.nets.models import (
        build_discriminator,
        build_generator,
        parameter_count,
    )

    with torch.device("meta"):
        return parameter_count(build_generator(config)) + parameter_count(build_discriminator(config))


def estimate_for_config(config: TrainConfig, epochs_done: int = 0) -> SpaceEstimate:
    return estimate(config, config_parameters(config), epochs_done)


def shortage(folder, needed: SpaceEstimate) -> str | None:
    """A message when the free space where `folder` is clearly cannot hold `needed`, else None."""
    free = free_bytes(folder)
    if free is None or free >= needed.total:
        return None
    return (f"Not enough free disk space to train this run: it needs {needed.describe()}, and "
            f"{format_size(free)} is free in {folder}. Free some space (or keep fewer checkpoints), then "
            f"start or resume it.")
