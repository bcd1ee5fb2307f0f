"""How long a sweep will take: its training steps, and everything around them.

- Training: the images/s of stored runs with the same networks and batch size, else a short
  probe of a few training steps on this machine (random images, batched as training batches
  them, no dataset load).
- Scoring: the evaluation seconds per epoch of those stored runs, else a typical figure.
- Writing each epoch (its grid, metrics line and checkpoints): what stored runs spent beyond
  training and scoring, else a figure from the checkpoint's size.
- Starting: loading the images and the scoring model, once per process and data (a sweep's
  first run), and building each run's networks; from stored runs on the same data (run.json's
  `setup_seconds`, `setup_cold`), else typical figures.
- The study around the runs: making it, and Optuna's bookkeeping of each trial (its storage
  writes, the heartbeat), typical figures.
"""

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
DATA_FIELDS = ("dataset", "image_folder", "channels", "image_size", "device")
# Typical figures, for what no stored run has measured yet (2 CPU cores, measured 2026-12-02):
EVAL_SECONDS_PER_SAMPLE = 0.0005  # scoring: 0.6–1.0 s per 2,000 samples
COLD_START_SECONDS = 2.0  # loading 60,000 images and a cached scoring model: about 1.5 s and 0.3 s
WARM_START_SECONDS = 0.1  # building a run's networks and writing its first files
WRITE_SECONDS = 0.05  # an epoch's grid and metrics line, plus its checkpoint at WRITE_BYTES_PER_SECOND
WRITE_BYTES_PER_SECOND = 100e6
STUDY_SECONDS = 0.3  # creating a study in the home's SQLite file and loading it: 0.08–0.5 s
TRIAL_SECONDS = 0.05  # a trial's bookkeeping beyond its run, about 15 SQLite commits: 8 one-batch trials took
# 0.39–0.55 s more as a study than as plain runs on the idle 2-core machine (2026-12-02); 1.9–2.8 s
# more on the same machine at load average 4 to 10, where every commit waits for the disk


@dataclass
class Speed:
    images_per_sec: float
    eval_seconds: float  # per epoch
    source: str  # "3 stored runs" / "probe"
    write_seconds: float = WRITE_SECONDS  # per epoch: grid, metrics line, checkpoints


@dataclass
class Start:
    cold: float  # the first run of a process on its data: images and scoring model loaded
    warm: float  # every other run: its networks built, its files written
    measured: bool


def _shape(config: dict, names=SHAPE_FIELDS) -> tuple:
    return tuple(repr(config.get(name)) for name in names)


def _stored(store: RunStore, want: tuple, names) -> list:
    """(run, config dict) of the stored runs whose `names` fields equal `want`."""
    found = []
    for run in store.runs():
        try:
            theirs = run.config().to_dict()
        except (OSError, ValueError):
            continue
        if _shape(theirs, names) == want:
            found.append((run, theirs))
    return found


def measured_speed(config: TrainConfig, store: RunStore) -> Speed | None:
    """Median speed of stored epochs trained with the same networks, batch size and device, their
    scoring seconds (scaled to this config's samples) and what each epoch spent writing."""
    speeds, evals, writes, runs = [], [], [], 0
    for run, theirs in _stored(store, _shape(config.to_dict()), SHAPE_FIELDS):
        epochs = run.metrics().epochs
        found = [e["images_per_sec"] for e in epochs if _number(e.get("images_per_sec"))]
        if not found:
            continue
        runs += 1
        speeds += found
        run_evals = [e["eval_seconds"] for e in epochs if _number(e.get("eval_seconds"))]
        if theirs.get("eval_samples"):
            evals += [seconds * config.eval_samples / theirs["eval_samples"] for seconds in run_evals]
        write = _write_seconds(run, epochs, run_evals)
        if write is not None:
            writes.append(write)
    if not speeds:
        return None
    eval_seconds = statistics.median(evals) if evals else config.eval_samples * EVAL_SECONDS_PER_SAMPLE
    return Speed(statistics.median(speeds), eval_seconds if config.eval_samples else 0.0,
                 f"{runs} stored run{'s' if runs != 1 else ''}",
                 statistics.median(writes) if writes else WRITE_SECONDS)


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _write_seconds(run, epochs: list[dict], evals: list[float]) -> float | None:
    """Per epoch, what a finished run spent beyond its training steps and scoring: its
    `train_seconds` counts whole epochs, the metrics' `seconds` only the steps."""
    try:
        info = run.read_info()
    except (OSError, ValueError):
        return None
    steps = [e["seconds"] for e in epochs if _number(e.get("seconds"))]
    if info.status != "finished" or not _number(info.train_seconds) or len(steps) != len(epochs) or not epochs:
        return None
    extra = (info.train_seconds - sum(steps) - sum(evals)) / len(epochs)
    return extra if extra >= 0 else None


def measured_start(config: TrainConfig, store: RunStore) -> Start:
    """Start-up seconds of stored runs on the same data (median of cold and of warm starts),
    else the typical figures."""
    cold, warm = [], []
    for run, theirs in _stored(store, _shape(config.to_dict(), DATA_FIELDS), DATA_FIELDS):
        try:
            info = run.read_info()
        except (OSError, ValueError):
            continue
        if _number(info.setup_seconds) and bool(theirs.get("eval_samples")) == bool(config.eval_samples):
            (cold if info.setup_cold else warm).append(info.setup_seconds)
    return Start(statistics.median(cold) if cold else COLD_START_SECONDS,
                 statistics.median(warm) if warm else WARM_START_SECONDS, bool(cold or warm))


def probe_speed(config: TrainConfig, seconds: float = 2.0, cancel: Callable[[], bool] = lambda: False) -> Speed:
    """Images/s of a few training steps of this config on random images, batched (rotated,
    scaled) as training batches them, on this machine; `cancel()` ends it early (the app is
    quitting)."""
    import torch

    from workbench.core.data.datasets import BatchSource
    from workbench.core.training.trainer import TrainingState, resolve_device, train_step

    device = resolve_device(config.device)
    state = TrainingState(config, device)  # no run: nothing is written
    shape = (config.channels, config.image_size, config.image_size)
    images = torch.randint(0, 256, (2 * config.batch_size, *shape), dtype=torch.uint8, device=device)
    source = BatchSource(images, config.batch_size, config.image_range, config.rotation_degrees, device=device)
    order = source.permutation()
    train_step(state, source.batch(order, 0), config)  # warm-up: first-call allocations
    steps, start = 0, time.perf_counter()
    while (time.perf_counter() - start < seconds or steps < 2) and not cancel():
        stats = train_step(state, source.batch(order, steps % 2), config)
        steps += 1
    stats.tolist()  # wait for the device
    elapsed = time.perf_counter() - start
    checkpoint_bytes = state.parameters() * 4 * 3  # weights and Adam's two moments
    return Speed(steps * config.batch_size / elapsed, config.eval_samples * EVAL_SECONDS_PER_SAMPLE, "probe",
                 WRITE_SECONDS + checkpoint_bytes / WRITE_BYTES_PER_SECOND)


def epoch_seconds(config: TrainConfig, speed: Speed) -> float | None:
    """One epoch: its training steps, its scoring and its writes."""
    images = TRAIN_IMAGES.get(config.dataset)
    if images is None:
        return None
    batches = math.ceil(images / config.batch_size)
    if config.max_batches:
        batches = min(batches, config.max_batches)
    return batches * config.batch_size / speed.images_per_sec + speed.eval_seconds + speed.write_seconds


def sweep_seconds(configs: list[TrainConfig], store: RunStore, probe: bool = True,
                  cancel: Callable[[], bool] = lambda: False) -> tuple[float | None, str]:
    """(estimated seconds for all configs, trained one after another in one process as the trials
    of one study, and how it was measured). Configs of the same shape share one measurement;
    None when a dataset's size is unknown or nothing could be measured."""
    total, sources, speeds, starts, last_data = STUDY_SECONDS + TRIAL_SECONDS * len(configs), set(), {}, {}, None
    for config in configs:
        values = config.to_dict()
        key = _shape(values) + (config.eval_samples,)
        if key not in speeds:
            speeds[key] = measured_speed(config, store) or (probe_speed(config, cancel=cancel) if probe else None)
        speed = speeds[key]
        if speed is None:
            return None, "no stored run of this shape to measure from"
        seconds = epoch_seconds(config, speed)
        if seconds is None:
            return None, f"the size of dataset {config.dataset} is not known before it is loaded"
        data = _shape(values, DATA_FIELDS) + (bool(config.eval_samples),)
        start = starts.get(data) or starts.setdefault(data, measured_start(config, store))
        total += (start.cold if data != last_data else start.warm) + seconds * config.epochs
        last_data = data
        sources.add("measured from stored runs" if speed.source != "probe" else "probed on this machine")
        if not start.measured:
            sources.add("typical start-up times")
    return total, " and ".join(sorted(sources))
