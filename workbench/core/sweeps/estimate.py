"""How long a sweep will take, from measured speed: the images/s and evaluation seconds of
stored runs with the same networks and batch size, else a short probe of a few training steps
on this machine (random data, no dataset load)."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from workbench.core.config import TrainConfig
from workbench.core.store.runs import RunStore

TRAIN_IMAGES = {"mnist": 60000, "fashion-mnist": 60000, "kmnist": 60000, "cifar10": 50000}
SHAPE_FIELDS = ("dataset", "architecture", "g_widths", "d_widths", "latent_size", "batch_size", "d_steps",
                "channels", "image_size", "device")
EVAL_SECONDS_PER_SAMPLE = 0.0005  # probe fallback: the README's measured 0.6–1.0 s per 2000 samples


@dataclass
class Speed:
    images_per_sec: float
    eval_seconds: float  # per epoch
    source: str  # "3 runs" / "probe"


def _shape(config: dict) -> tuple:
    return tuple(repr(config.get(name)) for name in SHAPE_FIELDS)


def measured_speed(config: TrainConfig, store: RunStore) -> Speed | None:
    """Median speed of stored epochs trained with the same networks, batch size and device."""
    want = _shape(config.to_dict())
    speeds, evals, runs = [], [], 0
    for run in store.runs():
        try:
            theirs = run.config().to_dict()
        except (OSError, ValueError):
            continue
        if _shape(theirs) != want:
            continue
        epochs = run.metrics().epochs
        found = [e["images_per_sec"] for e in epochs if isinstance(e.get("images_per_sec"), (int, float))]
        if found:
            runs += 1
            speeds += found
            if theirs.get("eval_samples"):
                evals += [e["eval_seconds"] * config.eval_samples / theirs["eval_samples"]
                          for e in epochs if isinstance(e.get("eval_seconds"), (int, float))]
    if not speeds:
        return None
    eval_seconds = statistics.median(evals) if evals else config.eval_samples * EVAL_SECONDS_PER_SAMPLE
    return Speed(statistics.median(speeds), eval_seconds if config.eval_samples else 0.0,
                 f"{runs} stored run{'s' if runs != 1 else ''}")


def probe_speed(config: TrainConfig, seconds: float = 2.0, cancel: Callable[[], bool] = lambda: False) -> Speed:
    """Images/s of a few training steps of this config on random images, on this machine;
    `cancel()` ends it early (the app is quitting)."""
    import torch

    from workbench.core.training.trainer import TrainingState, resolve_device, train_step

    device = resolve_device(config.device)
    state = TrainingState(config, device)  # no run: nothing is written
    size = getattr(config, "image_size", 28)
    channels = getattr(config, "channels", 1)
    real = torch.rand(config.batch_size, channels, size, size, device=device)
    train_step(state, real, config)  # warm-up: first-call allocations
    steps, start = 0, time.perf_counter()
    while (time.perf_counter() - start < seconds or steps < 2) and not cancel():
        stats = train_step(state, real, config)
        steps += 1
    stats.tolist()  # wait for the device
    elapsed = time.perf_counter() - start
    return Speed(steps * config.batch_size / elapsed, config.eval_samples * EVAL_SECONDS_PER_SAMPLE, "probe")


def epoch_seconds(config: TrainConfig, speed: Speed) -> float | None:
    images = TRAIN_IMAGES.get(config.dataset)
    if images is None:
        return None
    batches = math.ceil(images / config.batch_size)
    if config.max_batches:
        batches = min(batches, config.max_batches)
    return batches * config.batch_size / speed.images_per_sec + speed.eval_seconds


def sweep_seconds(configs: list[TrainConfig], store: RunStore, probe: bool = True,
                  cancel: Callable[[], bool] = lambda: False) -> tuple[float | None, str]:
    """(estimated seconds for all configs, how it was measured). Configs of the same shape share
    one measurement; None when a dataset's size is unknown or nothing could be measured."""
    total, sources, cache = 0.0, set(), {}
    for config in configs:
        key = _shape(config.to_dict()) + (config.eval_samples,)
        if key not in cache:
            cache[key] = measured_speed(config, store) or (probe_speed(config, cancel=cancel) if probe else None)
        speed = cache[key]
        if speed is None:
            return None, "no stored run of this shape to measure from"
        seconds = epoch_seconds(config, speed)
        if seconds is None:
            return None, f"the size of dataset {config.dataset} is not known before it is loaded"
        total += seconds * config.epochs
        sources.add("measured from stored runs" if speed.source != "probe" else "probed on this machine")
    return total, " and ".join(sorted(sources))
