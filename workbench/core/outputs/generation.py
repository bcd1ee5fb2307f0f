"""Exploring what a trained generator learned: images from a seed, an interpolation between two
seeds' latent points (linear, or spherical for normal noise), a walk along one latent
dimension; written as one grid PNG, individual PNGs, or a NumPy array of the raw images.
Images are (N, H, W) floats for greyscale runs and (N, H, W, 3) for colour ones (channels
last, as Pillow and matplotlib take them), so PNGs of colour runs are RGB.

A seed's own latent point is `seed_latent(config, seed)`, so an interpolation starts and ends
exactly at the images those seeds draw alone.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from workbench.core.atomic import write_with
from workbench.core.config import TrainConfig
from workbench.core.nets.conditioning import generator_classes
from workbench.core.nets.sampling import draw_noise, grid_array, save_png, to_display
from workbench.core.store.epoch_checkpoints import checkpoint_for, load_networks

MAX_IMAGES = 1024
OUTPUT_KINDS = (".png", ".npy")


def seed_latent(config: TrainConfig, seed: int) -> torch.Tensor:
    """The one latent point (1, z) a seed stands for."""
    return draw_noise(1, config, "cpu", torch.Generator().manual_seed(seed))


def seed_latents(config: TrainConfig, count: int, seed: int) -> torch.Tensor:
    """`count` latent points from one seed (what `sample --seed` draws)."""
    return draw_noise(count, config, "cpu", torch.Generator().manual_seed(seed))


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation between rows a and b at fractions t (K,): keeps the norm a normal
    latent point typically has, where the straight line passes through unlikely short vectors."""
    a_n, b_n = a / a.norm(), b / b.norm()
    omega = torch.acos((a_n * b_n).sum().clamp(-1 + 1e-7, 1 - 1e-7))
    if float(omega) < 1e-4:
        return torch.lerp(a.expand(len(t), -1), b.expand(len(t), -1), t[:, None])
    s = torch.sin(omega)
    return (torch.sin((1 - t) * omega)[:, None] * a + torch.sin(t * omega)[:, None] * b) / s


def interpolation_latents(config: TrainConfig, seed_a: int, seed_b: int, steps: int,
                          spherical: bool | None = None) -> torch.Tensor:
    """`steps` points from seed_a's latent to seed_b's, both ends included; spherical by default
    for normal noise, linear for uniform noise (whose box a sphere would leave)."""
    if steps < 2:
        raise ValueError(f"steps: {steps} is not allowed; expected at least 2")
    a, b = seed_latent(config, seed_a), seed_latent(config, seed_b)
    t = torch.linspace(0, 1, steps)
    if spherical is None:
        spherical = config.latent_distribution == "normal"
    out = slerp(a[0], b[0], t) if spherical else torch.lerp(a.expand(steps, -1), b.expand(steps, -1), t[:, None])
    out[0], out[-1] = a[0], b[0]  # exactly the seeds' own points, whatever rounding did
    return out


def walk_latents(config: TrainConfig, seed: int, dim: int, low: float, high: float, steps: int) -> torch.Tensor:
    """The seed's latent point with dimension `dim` swept from low to high in `steps` steps; every
    other dimension stays as the seed drew it."""
    if not 0 <= dim < config.latent_size:
        raise ValueError(f"walk: dimension {dim} is not allowed; expected 0 to {config.latent_size - 1}")
    if steps < 2:
        raise ValueError(f"steps: {steps} is not allowed; expected at least 2")
    out = seed_latent(config, seed).repeat(steps, 1)
    out[:, dim] = torch.linspace(low, high, steps)
    return out


class LoadedGenerator:
    """A run's generator as of one epoch (latest by default), ready to render latent points."""

    def __init__(self, run, epoch: int | None = None, device="cpu"):
        target = checkpoint_for(run, epoch)
        self.epoch = target.epoch
        self.config, self.generator, _ = load_networks(run, target, device)
        self.device = device
        self.classes: list[str] = list(run.read_info().classes or []) if generator_classes(self.generator) else []

    @torch.no_grad()
    def render(self, latents: torch.Tensor, labels: torch.Tensor | None = None,
               embedding: torch.Tensor | None = None) -> np.ndarray:
        """Images as float32 in [0, 1]: (N, H, W) greyscale, (N, H, W, 3) colour. A conditional
        generator draws the `labels`' classes (class 0 when none are given), or from class
        `embedding`s (a morph's)."""
        latents = latents.to(self.device)
        given = {}
        if self.classes:
            if embedding is not None:
                given = {"embedding": embedding.to(self.device)}
            else:
                labels = labels if labels is not None else torch.zeros(latents.shape[0], dtype=torch.int64)
                given = {"labels": labels.to(self.device)}
        images = to_display(self.generator(latents, **given), self.config.image_range).float().cpu()
        return images[:, 0].numpy() if images.shape[1] == 1 else images.permute(0, 2, 3, 1).contiguous().numpy()


def generate(run, count: int, seed: int = 0, device="cpu", epoch: int | None = None) -> np.ndarray:
    """A grid of `count` new images from the run's generator (latest epoch by default),
    reproducible by seed."""
    loaded = LoadedGenerator(run, epoch, device)
    return grid_of(loaded.render(seed_latents(loaded.config, count, seed)))


def grid_of(images: np.ndarray, nrow: int | None = None) -> np.ndarray:
    """The uint8 grid of images in [0, 1], `nrow` per row (square-ish by default): (H, W) of
    greyscale (N, H, W), (H, W, 3) of colour (N, H, W, 3)."""
    tensor = torch.from_numpy(np.ascontiguousarray(images))
    return grid_array(tensor.permute(0, 3, 1, 2) if tensor.dim() == 4 else tensor[:, None], nrow)


def labels_file(out: Path) -> Path:
    """Where the labels of a .npy export go: NAME.labels.npy beside NAME.npy."""
    return out.with_name(out.stem + ".labels.npy")


def save_images(images: np.ndarray, out: Path | None = None, out_dir: Path | None = None,
                nrow: int | None = None, labels: np.ndarray | None = None) -> list[Path]:
    """Write images in [0, 1] ((N, H, W), or (N, H, W, 3) in colour): `out` ending .png is one
    grid, .npy the raw float32 array in that shape, with the int64 class `labels` (N,) of a
    conditional run's images beside it (`labels_file`); `out_dir` gets one PNG per image
    (image-0000.png, …; RGB in colour). Returns the files written."""
    written = []
    if out is not None:
        out = Path(out)
        if out.suffix.lower() == ".npy":
            write_with(out, lambda f: np.save(f, images.astype(np.float32)))
            if labels is not None:
                write_with(labels_file(out), lambda f: np.save(f, np.asarray(labels, dtype=np.int64)))
                written.append(labels_file(out))
        elif out.suffix.lower() == ".png":
            save_png(grid_of(images, nrow), out)
        else:
            raise ValueError(f"out: {out.name} has no known image kind; expected a name ending in "
                             f"{' or '.join(OUTPUT_KINDS)}")
        written.append(out)
    if out_dir is not None:
        width = max(4, len(str(len(images) - 1)))
        for i, image in enumerate(images):
            path = Path(out_dir) / f"image-{i:0{width}d}.png"
            save_png((image * 255 + 0.5).clip(0, 255).astype(np.uint8), path)
            written.append(path)
    return written
