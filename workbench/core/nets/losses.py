"""Adversarial objectives (mean reduction): non-saturating BCE on probabilities or on logits,
and the hinge loss on raw scores."""

from __future__ import annotations

import torch
from torch import nn


class Objective:
    """The loss the config names, as D's and G's losses from D's outputs, and D's output as the
    D(·) probability the curves show (a sigmoid of the raw score for `bce-logits` and `hinge`)."""

    def __init__(self, kind: str, real_label: float = 1.0):
        self.kind = kind
        self.real_label = real_label
        self.criterion = nn.BCELoss() if kind == "bce" else nn.BCEWithLogitsLoss()
        self._targets: dict[tuple, tuple] = {}

    def __call__(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """One BCE term against `target` labels."""
        return self.criterion(output, target)

    def discriminator_loss(self, out_real: torch.Tensor, out_fake: torch.Tensor) -> torch.Tensor:
        if self.kind == "hinge":
            return torch.relu(1.0 - out_real).mean() + torch.relu(1.0 + out_fake).mean()
        real_t, fake_t, _ = self._labels(out_real)
        return self(out_real, real_t) + self(out_fake, fake_t)

    def generator_loss(self, out_fake: torch.Tensor) -> torch.Tensor:
        if self.kind == "hinge":
            return -out_fake.mean()
        return self(out_fake, self._labels(out_fake)[2])

    def probability(self, output: torch.Tensor) -> torch.Tensor:
        return output if self.kind == "bce" else torch.sigmoid(output)

    def _labels(self, output: torch.Tensor) -> tuple:
        """(real labels, fake labels, ones) for a batch like `output`, made once per size."""
        key = (output.shape[0], output.device, output.dtype)
        if key not in self._targets:
            n, kw = output.shape[0], {"device": output.device, "dtype": output.dtype}
            self._targets[key] = (torch.full((n,), self.real_label, **kw), torch.zeros(n, **kw),
                                  torch.ones(n, **kw))
        return self._targets[key]
