"""Real images spoilt in known ways: what the reference marks score. Each takes float images in
[0, 1], shape (N, C, S, S), and draws what it needs from the given `torch.Generator` (never the
global random stream), so a set of marks is the same every time it is measured.

Sizes are in pixels of a 28×28 image and scale with the image (a σ 1 blur of a 56-pixel image
is σ 2), so a mark means the same damage at every size.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def _scale(images: torch.Tensor) -> float:
    return images.shape[-1] / 28.0


def _gaussian_kernel(sigma: float) -> torch.Tensor:
    radius = max(1, math.ceil(3 * sigma))
    x = torch.arange(-radius, radius + 1, dtype=torch.float32)
    kernel = torch.exp(-x.square() / (2 * sigma * sigma))
    return kernel / kernel.sum()


def _smooth(images: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian filter of each channel, edges reflected."""
    kernel = _gaussian_kernel(sigma)
    n, c, h, w = images.shape
    radius = kernel.shape[0] // 2
    flat = images.reshape(n * c, 1, h, w)
    flat = F.conv2d(F.pad(flat, (radius, radius, 0, 0), mode="reflect"), kernel.view(1, 1, 1, -1))
    flat = F.conv2d(F.pad(flat, (0, 0, radius, radius), mode="reflect"), kernel.view(1, 1, -1, 1))
    return flat.reshape(n, c, h, w)


def blurred(images: torch.Tensor, sigma: float) -> torch.Tensor:
    """A Gaussian blur of standard deviation `sigma` (in 28×28 pixels)."""
    return _smooth(images, sigma * _scale(images)).clamp_(0, 1)


def quadrant_swapped(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """One quadrant of each image (drawn at random) replaced by the same quadrant of another image
    of the set (a shifted random order, so never itself): a digit with a quarter of another."""
    n, _, h, w = images.shape
    order = torch.randperm(n, generator=generator)
    donor = torch.empty_like(order)
    donor[order] = order.roll(1)
    quadrant = torch.randint(0, 4, (n,), generator=generator)
    rows = torch.arange(h)[None, :, None] >= h // 2
    cols = torch.arange(w)[None, None, :] >= w // 2
    mask = (rows == (quadrant // 2)[:, None, None].bool()) & (cols == (quadrant % 2)[:, None, None].bool())
    return torch.where(mask[:, None], images[donor], images)


def patches_erased(images: torch.Tensor, generator: torch.Generator, count: int = 3, size: int = 4) -> torch.Tensor:
    """`count` squares of `size`×`size` pixels set to black, each centred on a pixel brighter than
    the image's median (the strokes of a digit), so the damage lands on the drawing: broken
    strokes. Squares may overlap."""
    n, c, h, w = images.shape
    side = max(1, round(size * _scale(images)))
    grey = images.mean(1).reshape(n, -1)
    bright = grey > grey.median(dim=1, keepdim=True).values
    weights = bright.float() + 1e-6  # an empty image still draws somewhere
    centres = torch.multinomial(weights, count, replacement=True, generator=generator)
    out = images.clone()
    ys, xs = torch.arange(h)[None, :, None], torch.arange(w)[None, None, :]
    for k in range(count):
        top = (centres[:, k] // w - side // 2)[:, None, None]
        left = (centres[:, k] % w - side // 2)[:, None, None]
        square = (ys >= top) & (ys < top + side) & (xs >= left) & (xs < left + side)
        out = out.masked_fill(square[:, None], 0.0)
    return out


def elastic(images: torch.Tensor, generator: torch.Generator, alpha: float = 34.0, sigma: float = 4.0) -> torch.Tensor:
    """An elastic deformation (Simard et al., 2003): a random displacement field, smoothed by a
    Gaussian of `sigma` pixels and scaled by `alpha` pixels, applied with bilinear sampling."""
    n, _, h, w = images.shape
    scale = _scale(images)
    field = torch.rand(n, 2, h, w, generator=generator) * 2 - 1
    field = _smooth(field, sigma * scale) * (alpha * scale)  # pixels
    base_y, base_x = torch.meshgrid(torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32),
                                    indexing="ij")
    x = (base_x + field[:, 0]) * (2 / (w - 1)) - 1
    y = (base_y + field[:, 1]) * (2 / (h - 1)) - 1
    grid = torch.stack([x, y], dim=-1)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=True).clamp_(0, 1)


def uniform_noise(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Images of uniform noise, as many and as large as `images`."""
    return torch.rand(images.shape, generator=generator)


#: (id, name shown beside the score, how to make the set from real images and a generator), in
#: the order of increasing damage the marks are expected to keep for blurs and noise
DEGRADATIONS = (
    ("real", "real images", lambda x, g: x),
    ("blur-0.5", "real, blurred σ 0.5", lambda x, g: blurred(x, 0.5)),
    ("blur-1", "real, blurred σ 1", lambda x, g: blurred(x, 1.0)),
    ("blur-2", "real, blurred σ 2", lambda x, g: blurred(x, 2.0)),
    ("quadrant", "one quadrant swapped", quadrant_swapped),
    ("erased", "three 4×4 patches erased", patches_erased),
    ("elastic", "elastic deformation", elastic),
    ("noise", "uniform noise", uniform_noise),
)
