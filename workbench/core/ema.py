"""An exponential moving average of the generator's weights (`g_ema` > 0).

GAN generators oscillate around a good solution at the high learning rates that learn fast;
the average of recent weights draws cleaner samples than any single step. The average is
what the grids, the scores, `sample` and exported weights use; training itself is unchanged
(the average never feeds back), and it is checkpointed so a resumed run continues it exactly.
"""

from __future__ import annotations

import copy

import torch


class GeneratorAverage:
    def __init__(self, generator: torch.nn.Module, decay: float):
        self.decay = float(decay)
        self.model = copy.deepcopy(generator)
        self.model.requires_grad_(False)
        self._source = generator
        self._targets = list(self.model.parameters())
        self._sources = list(generator.parameters())

    @torch.no_grad()
    def update(self) -> None:
        """After each generator step: average ← average + (1 − decay)·(weights − average)."""
        torch._foreach_lerp_(self._targets, self._sources, 1.0 - self.decay)

    @torch.no_grad()
    def synced(self) -> torch.nn.Module:
        """The averaged generator, with the live one's buffers (batch-norm running statistics)."""
        for mine, theirs in zip(self.model.buffers(), self._source.buffers()):
            mine.copy_(theirs)
        return self.model


def sampling_weights(checkpoint: dict) -> dict:
    """The generator weights that draw a run's images: the average when the run keeps one."""
    return checkpoint.get("generator_ema") or checkpoint["generator"]
