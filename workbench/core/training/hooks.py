"""What runs after each epoch besides writing it. A new output of training is one more consumer
of the finished epoch, not a new branch inside the epoch loop:

- an `EpochHook` gets the epoch's generator and returns values that join the epoch's metrics
  line: the scoring, when `eval_samples` asks for it;
- an `EpochRecorder` mirrors each epoch once it is written, and is closed when training ends:
  the TensorBoard log, when `tensorboard` asks for it.

Only the process that writes the run (rank 0) has any.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import torch

from workbench.core.config import TrainConfig
from workbench.core.data.datasets import DatasetMissing
from workbench.core.events import Notice, Preparing, TrainingEvent


class EpochHook(Protocol):
    def __call__(self, generator: torch.nn.Module) -> dict:
        """Values for the epoch's metrics line, from the generator that draws its grid."""


class EpochRecorder(Protocol):
    def record(self, entry: dict, grid_file: Path) -> object:
        """Mirror one written epoch: its metrics line and its grid's file."""

    def close(self) -> None: ...


class ScoringCancelled(Exception):
    """A stop came while the feature classifier the scoring needs was being trained."""


def epoch_hooks(config: TrainConfig, device: torch.device, emit: Callable[[TrainingEvent], None],
                cancel: Callable[[], bool]) -> list[EpochHook]:
    """The scoring when `eval_samples` asks for it. It draws its own noise, so it never changes
    what the loop learns. Preparing it may train a feature classifier once (reported as
    Preparing); when it cannot be had, training goes on without it (a Notice says why)."""
    if not config.eval_samples:
        return []
    from workbench.core.evaluation.classifier import EvaluationCancelled
    from workbench.core.evaluation.run_scores import scoring_for
    from workbench.core.evaluation.scoring import GeneratorEvaluator

    try:
        scoring = scoring_for(config, progress=lambda f, text: emit(Preparing(text, f)), cancel=cancel, device=device)
    except EvaluationCancelled:
        raise ScoringCancelled from None
    except (DatasetMissing, OSError, ValueError) as e:
        emit(Notice(f"Evaluation is off for this run: {e}"))
        return []
    evaluator = GeneratorEvaluator(config, scoring, config.eval_samples, device)

    def evaluate(generator: torch.nn.Module) -> dict:
        start = time.perf_counter()
        scores = evaluator(generator)
        return scores | {"eval_seconds": time.perf_counter() - start}

    return [evaluate]


def epoch_recorders(config: TrainConfig, run, emit: Callable[[TrainingEvent], None]) -> list[EpochRecorder]:
    """The TensorBoard mirror when `tensorboard` asks for it; none when TensorBoard is missing
    or its folder cannot be written (a Notice says why), and training goes on."""
    if not config.tensorboard:
        return []
    from workbench.core.training.tensorboard_log import open_for_training

    log = open_for_training(run, emit)
    return [log] if log else []
