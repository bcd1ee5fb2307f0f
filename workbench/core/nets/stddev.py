"""Minibatch standard deviation in the discriminator (`d_stddev`; Karras et al. 2018).

A discriminator judges one image at a time, so it cannot see that a generator draws the same
image again and again. This layer adds one feature that it can see: how much the batch's images
differ at this depth, averaged over features. In a conditional run the spread is taken within
each class of the batch, so a generator that draws one image per class (a class-consistent
collapse a plain batch spread misses: the classes themselves differ) gives its fakes a spread
near zero, where real images of a class have a clear one. Real and fake batches carry the same
labels, so a class seen once in a batch looks the same in both.

It is computed with matrix products over the labels' one-hot vectors: no per-image Python. The
feature depends on the batch, in evaluation as in training.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

#: added inside the square root, so a class seen once gives a small spread, not a NaN gradient
EPSILON = 1e-8


class BatchStddev(nn.Module):
    """x (N, C, H, W) or (N, F) → x with one more channel (or feature): the spread of the batch's
    x (within each image's class when `classes` > 0 and labels are given)."""

    takes_side_input = True  # `conditioning.run_layers` hands it the batch's labels

    def __init__(self, classes: int = 0):
        super().__init__()
        self.classes = classes

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        flat = x.flatten(1).float()
        if self.classes and labels is not None:
            groups = F.one_hot(labels, self.classes).to(flat.dtype)
        else:
            groups = flat.new_ones(flat.shape[0], 1)
        counts = groups.sum(0).clamp(min=1.0)[:, None]
        mean = groups.t() @ flat / counts
        variance = (groups.t() @ flat.pow(2) / counts - mean.pow(2)).clamp(min=0.0)
        spread = (variance + EPSILON).sqrt().mean(1)  # one number per group
        per_image = (groups @ spread[:, None]).to(x.dtype)  # each image's group's spread, (N, 1)
        if x.dim() > 2:
            per_image = per_image[:, :, None, None].expand(-1, 1, *x.shape[2:])
        return torch.cat([x, per_image], 1)


def stddev_layers(config, classes: int) -> list[nn.Module]:
    """[BatchStddev] when the config asks for it, else none."""
    return [BatchStddev(classes)] if config.d_stddev else []


def stddev_features(config) -> int:
    """How many features the layer adds (0 or 1)."""
    return 1 if config.d_stddev else 0
