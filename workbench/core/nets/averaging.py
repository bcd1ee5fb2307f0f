"""An exponential moving average of the generator's weights (`g_ema` > 0).

GAN generators oscillate around a good solution at the high learning rates that learn fast;
the average of recent weights can draw cleaner samples than any single step. The average is
what the grids, the scores, `sample` and exported weights use; training itself is unchanged
(the average never feeds back), and it is checkpointed so a resumed run continues it exactly.

Two details make the average usable from the first epoch (measured: without them a
`cpu-fast` run with decay 0.999 scored 252 after epoch 1 against 4.2 without averaging):
- warm-up: the decay of update t is min(decay, (1 + t) / (10 + t)), so the random initial
  weights are forgotten within the first few hundred steps;
- batch-norm statistics belong to the weights that produced them: the averaged weights get
  their own, recomputed on fresh noise (from a generator of its own, so the training stream
  is untouched) each time the average is used after a step.
"""

from __future__ import annotations

import copy

import torch

CALIBRATION_SEED = 4321
CALIBRATION_BATCHES = 8
CALIBRATION_BATCH = 256


class GeneratorAverage:
    def __init__(self, generator: torch.nn.Module, decay: float, noise):
        """`noise(count, torch_generator)` draws latent vectors on the generator's device (a
        tuple of the generator's inputs for a conditional one: latent vectors and labels)."""
        self.decay = float(decay)
        self.updates = 0
        self.model = copy.deepcopy(generator)
        self.model.requires_grad_(False)
        self._noise = noise
        self._targets = list(self.model.parameters())
        self._sources = list(generator.parameters())
        self._norms = [m for m in self.model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
        self._calibrated = False

    @torch.no_grad()
    def update(self) -> None:
        """After each generator step: average ← average + (1 − d)·(weights − average)."""
        decay = min(self.decay, (1.0 + self.updates) / (10.0 + self.updates))
        torch._foreach_lerp_(self._targets, self._sources, 1.0 - decay)
        self.updates += 1
        self._calibrated = False

    @torch.no_grad()
    def synced(self) -> torch.nn.Module:
        """The averaged generator in eval mode, its batch-norm statistics its own."""
        if self._norms and not self._calibrated:
            momenta = [m.momentum for m in self._norms]
            for m in self._norms:
                m.reset_running_stats()
                m.momentum = None  # a plain mean over the calibration batches
            self.model.train()
            rng = torch.Generator(device=self._targets[0].device).manual_seed(CALIBRATION_SEED)
            for _ in range(CALIBRATION_BATCHES):
                inputs = self._noise(CALIBRATION_BATCH, rng)
                self.model(*inputs) if isinstance(inputs, tuple) else self.model(inputs)
            for m, momentum in zip(self._norms, momenta):
                m.momentum = momentum
            self._calibrated = True
        self.model.eval()
        return self.model

    def state_dict(self) -> dict:
        return {"weights": self.synced().state_dict(), "updates": self.updates}

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["weights"])
        self.updates = int(state["updates"])
        self._calibrated = True  # the stored statistics are the ones computed for these weights


def sampling_weights(checkpoint: dict) -> dict:
    """The generator weights that draw a run's images: the average when the run keeps one."""
    average = checkpoint.get("generator_ema")
    return average["weights"] if average else checkpoint["generator"]
