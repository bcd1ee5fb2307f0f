"""Images from a generator: latent noise, display mapping, grids (torchvision's make_grid) and
PNG files. Generating from a stored run is `workbench.core.outputs.generation`."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from workbench.core.atomic import write_with
from workbench.core.config import TrainConfig
from workbench.core.geometry import GRID_CLASSES


def draw_noise(count: int, config: TrainConfig, device, generator: torch.Generator | None = None) -> torch.Tensor:
    """Latent vectors from the config's distribution (normal N(0,1) or uniform U(-1,1))."""
    shape = (count, config.latent_size)
    if config.latent_distribution == "uniform":
        return torch.rand(shape, device=device, generator=generator).mul_(2.0).sub_(1.0)
    return torch.randn(shape, device=device, generator=generator)


def fixed_noise(config: TrainConfig) -> torch.Tensor:
    """The run's fixed sample noise: drawn on the CPU from the seed alone, so every run with the
    same seed, latent size and distribution shows the same latent points."""
    return draw_noise(config.grid_size, config, "cpu", torch.Generator().manual_seed(config.seed))


def class_grid_layout(count: int, classes: int) -> tuple[int, int]:
    """(rows, columns) of a conditional grid drawn from `count` fixed latent vectors: one row per
    class (at most GRID_CLASSES), as many columns as a square grid of `count` has."""
    return min(classes, GRID_CLASSES), max(1, math.ceil(math.sqrt(count)))


def stored_grid_layout(count: int, classes: int) -> tuple[int, int | None]:
    """(images, images per row) of an epoch's stored grid drawn from `count` fixed latent vectors:
    a square-ish grid of them, or for a conditional run (`classes` > 0) one row per class."""
    if not classes:
        return count, None
    rows, columns = class_grid_layout(count, classes)
    return rows * columns, columns


def class_grid_inputs(noise: torch.Tensor, classes: int) -> tuple[torch.Tensor, torch.Tensor, int]:
    """(latent vectors, labels, columns) of a conditional grid: the first `columns` vectors of
    `noise` repeated in every row, row r drawing class r."""
    rows, columns = class_grid_layout(noise.shape[0], classes)
    columns = min(columns, noise.shape[0])
    z = noise[:columns].repeat(rows, 1)
    labels = torch.arange(rows, device=noise.device).repeat_interleave(columns)
    return z, labels, columns


def cycled_labels(count: int, classes: int, device) -> torch.Tensor:
    """0, 1, …, classes − 1, 0, 1, …: `count` labels with every class equally often, no randomness."""
    return torch.arange(count, device=device) % classes


def to_display(images: torch.Tensor, image_range: str) -> torch.Tensor:
    """Generator output → [0, 1] for viewing, given the range the real images were scaled to."""
    if image_range == "symmetric":
        images = (images + 1.0) * 0.5
    return images.clamp(0.0, 1.0)


GRID_GAP = 2  # pixels between a grid's images and around them


def grid_array(images: torch.Tensor, nrow: int | None = None) -> np.ndarray:
    """A uint8 grid of [0, 1] images (N, C, H, W), square-ish, 2-pixel gaps: (H, W) for
    greyscale images, (H, W, 3) for colour ones."""
    from torchvision.utils import make_grid

    n = images.shape[0]
    nrow = nrow or max(1, math.ceil(math.sqrt(n)))
    grid = make_grid(images.detach().float().cpu(), nrow=nrow, padding=GRID_GAP, pad_value=0.0)
    grid = grid.mul(255).add_(0.5).clamp_(0, 255).to(torch.uint8)
    return grid.permute(1, 2, 0).contiguous().numpy() if images.shape[1] == 3 else grid[0].numpy()


def grid_cell(grid: np.ndarray, count: int, size: int, x: int, y: int,
              nrow: int | None = None) -> tuple[int, np.ndarray] | None:
    """The image at pixel (x, y) of a grid `grid_array` made of `count` images of `size`: (its
    index, its pixels as the grid holds them); None in a gap, beyond the last image, or when the
    grid is not of that layout."""
    across = min(nrow or max(1, math.ceil(math.sqrt(count))), count)
    pitch = size + GRID_GAP
    (col, dx), (row, dy) = divmod(int(x) - GRID_GAP, pitch), divmod(int(y) - GRID_GAP, pitch)
    index = row * across + col
    rows = math.ceil(count / max(across, 1))
    if (count < 1 or min(col, row) < 0 or col >= across or dx >= size or dy >= size or index >= count
            or grid.shape[:2] != (rows * pitch + GRID_GAP, across * pitch + GRID_GAP)):
        return None
    top, left = GRID_GAP + row * pitch, GRID_GAP + col * pitch
    return index, grid[top:top + size, left:left + size]


def save_png(grid: np.ndarray, path: Path) -> None:
    """Write a uint8 grid as a PNG, atomically: greyscale for (H, W), RGB for (H, W, 3)."""
    from PIL import Image

    grid = np.ascontiguousarray(grid, dtype=np.uint8)  # Pillow reads (H, W) as L, (H, W, 3) as RGB
    image = Image.fromarray(grid)
    write_with(Path(path), lambda f: image.save(f, format="PNG"))
