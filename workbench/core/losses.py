"""Adversarial objectives: non-saturating BCE on probabilities or on logits (mean reduction)."""

from __future__ import annotations

import torch
from torch import nn


class Objective:
    """Wraps the BCE variant the config names, and turns D's output into D(·) probabilities."""

    def __init__(self, kind: str):
        self.kind = kind
        self.criterion = nn.BCELoss() if kind == "bce" else nn.BCEWithLogitsLoss()

    def __call__(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return self.criterion(output, target)

    def probability(self, output: torch.Tensor) -> torch.Tensor:
        return output if self.kind == "bce" else torch.sigmoid(output)
