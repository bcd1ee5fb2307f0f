"""Rendering for the Generate window off the GUI thread: a `GenerateRequest` says what to draw
(samples, interpolation rows, a walk) from which epoch; a `RenderWorker` renders one request in
its own QThread; a `GeneratorCache` keeps the loaded generators per epoch between workers.

The worker is a `workers.Worker` (started by `workers.start`, retired by the GUI thread). torch
is imported only inside the worker. Outcomes are plain dicts of numpy arrays.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, replace

from workbench.core import words
from workbench.gui.workers import Worker

MODES = ("samples", "interpolation", "walk")
#: what a conditional run's class picker asks for: one class, every class (a row each, samples
#: only), or a morph from one class to another at fixed latent points
PICKS = ("class", "all", "morph")
MORPH_ROWS = 4
CACHED_EPOCHS = 4  # generators kept loaded; a conv generator is a few MB


@dataclass(frozen=True)
class GenerateRequest:
    """One picture to draw. Interpolation row i goes from seed+i to seed_b+i; a walk sweeps
    dimension `dim` of seed's point from low to high. `serial` orders requests: the newest wins."""

    epoch: int
    mode: str = "samples"
    seed: int = 0
    count: int = 64
    seed_b: int = 1
    steps: int = 10
    rows: int = 1
    spherical: bool | None = None
    dim: int = 0
    low: float = -3.0
    high: float = 3.0
    pick: str = ""  # a conditional run's: one of PICKS; "" for an unconditional run
    label: int = 0  # the class drawn (pick "class"), or the morph's first
    label_b: int = 1  # the morph's last class
    serial: int = 0

    def with_serial(self, serial: int) -> GenerateRequest:
        return replace(self, serial=serial)

    def describe(self) -> str:
        if self.pick == "morph":
            return f"{words.count(MORPH_ROWS, 'morph')} from class {self.label} to {self.label_b}, seed {self.seed}"
        if self.pick == "all":
            return f"{words.count(self.count, 'sample')} of every class from seed {self.seed}"
        return self._describe_mode() + (f", class {self.label}" if self.pick == "class" else "")

    def _describe_mode(self) -> str:
        if self.mode == "interpolation":
            how = "spherical" if self.spherical else "linear"
            seeds = f"seed {self.seed} → {self.seed_b}" + (
                f" … {self.seed + self.rows - 1} → {self.seed_b + self.rows - 1}" if self.rows > 1 else "")
            return f"{words.count(self.rows, 'interpolation')}, {seeds}, {self.steps} steps ({how})"
        if self.mode == "walk":
            return f"dimension {self.dim} of seed {self.seed} from {self.low:g} to {self.high:g}, {self.steps} steps"
        return f"{words.count(self.count, 'sample')} from seed {self.seed}"

    def slug(self) -> str:
        """A default file name part."""
        if self.pick == "morph":
            return f"morph-{self.label}-{self.label_b}-seed{self.seed}"
        if self.pick == "all":
            return f"classes-seed{self.seed}-{self.count}"
        if self.mode == "interpolation":
            return f"interpolate-{self.seed}-{self.seed_b}"
        if self.mode == "walk":
            return f"walk-seed{self.seed}-dim{self.dim}"
        return f"seed{self.seed}-{self.count}"


def inputs_for(request: GenerateRequest, loaded):
    """(latent points (N, z), images per grid row or None for square, the class inputs
    `loaded.render` takes: labels, a morph's embeddings, or nothing) of a request."""
    import torch

    from workbench.core.outputs.classes import every_class, morph

    if request.pick == "morph":
        latents, embedding = morph(loaded, request.label, request.label_b, request.steps, MORPH_ROWS, request.seed)
        return latents, request.steps, {"embedding": embedding}
    if request.pick == "all":
        latents, labels = every_class(loaded, request.count, request.seed)
        return latents, request.count, {"labels": labels}
    latents, nrow = latents_for(request, loaded.config)
    if request.pick == "class":
        return latents, nrow, {"labels": torch.full((latents.shape[0],), request.label, dtype=torch.int64)}
    return latents, nrow, {}


def latents_for(request: GenerateRequest, config):
    """(latent points (N, z), images per grid row or None for square) of a request."""
    import torch

    from workbench.core.outputs.generation import (
        interpolation_latents,
        seed_latents,
        walk_latents,
    )

    if request.mode == "interpolation":
        rows = [interpolation_latents(config, request.seed + i, request.seed_b + i, request.steps,
                                      request.spherical) for i in range(request.rows)]
        return torch.cat(rows), request.steps
    if request.mode == "walk":
        return walk_latents(config, request.seed, request.dim, request.low, request.high, request.steps), request.steps
    return seed_latents(config, request.count, request.seed), None


class GeneratorCache:
    """Generators loaded per epoch, shared by a window's successive workers (the lock covers
    the rare overlap of a worker being retired while the next starts)."""

    def __init__(self, run, size: int = CACHED_EPOCHS):
        self.run = run
        self.size = size
        self.loads = 0  # how many times a checkpoint was read (tests check the caching)
        self._loaded: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, epoch: int):
        with self._lock:
            if epoch in self._loaded:
                self._loaded.move_to_end(epoch)
                return self._loaded[epoch]
            from workbench.core.outputs.generation import LoadedGenerator

            loaded = LoadedGenerator(self.run, epoch)
            self.loads += 1
            self._loaded[epoch] = loaded
            while len(self._loaded) > self.size:
                self._loaded.popitem(last=False)
            return loaded


class RenderWorker(Worker):
    """Renders one request. `finished` carries {"request", "images" (N, H, W) float32 in [0, 1]
    ((N, H, W, 3) in colour), "latents" (N, z), "grid" uint8 (H, W) or (H, W, 3), "nrow", "epoch",
    "message" (a failure in words), "thread" (the ident of the thread that rendered)}."""

    def __init__(self, run, cache: GeneratorCache, request: GenerateRequest, parent=None):
        super().__init__(parent)
        self.run = run
        self.cache = cache
        self.request = request

    @property
    def thread_name(self) -> str:
        return f"generate-{self.run.id}"

    def work(self) -> dict:
        from workbench.core.config import ConfigError
        from workbench.core.outputs.generation import grid_of
        from workbench.core.store.checkpoints import CheckpointError

        try:
            loaded = self.cache.get(self.request.epoch)
            latents, nrow, given = inputs_for(self.request, loaded)
            images = loaded.render(latents, **given)
            grid = grid_of(images, nrow)
        except (CheckpointError, ConfigError, ValueError, OSError) as e:  # a bad epoch or request, said in words
            return self._outcome(message=str(e))
        labels = given.get("labels")
        return self._outcome(images=images, latents=latents.numpy(), grid=grid, nrow=nrow, epoch=loaded.epoch,
                             labels=None if labels is None else labels.numpy())

    def crash_result(self, error: Exception) -> dict:
        return self._outcome(message=f"{type(error).__name__}: {error}")

    def _outcome(self, **values) -> dict:
        outcome = {"request": self.request, "images": None, "latents": None, "grid": None, "nrow": None, "labels": None,
                   "epoch": self.request.epoch, "message": "", "thread": threading.get_ident()}
        outcome.update(values)
        return outcome


__all__ = ["MODES", "PICKS", "GenerateRequest", "GeneratorCache", "RenderWorker", "inputs_for", "latents_for"]
