"""Scores chosen by the test for study trials: each run's Fréchet score follows from its
learning rate (best near 5e-4) and improves a little each epoch, with a balanced class
histogram, except for a learning rate of 2.5e-3 or more, whose samples are all one digit
(a planted collapse). No classifier is loaded, so a trial takes a second or two.

Run as a script (`python -m helpers.study_scores ARGS…` with tests/ on the path) it is
`gan-workbench ARGS…` with these scores: the worker processes of the kill tests."""

from __future__ import annotations

import math
import os
import sys
import time

COLLAPSING_LR = 2.5e-3
#: seconds each scored epoch waits, as a script (env STUDY_SCORES_PAUSE): a test that kills the
#: process after an epoch then lands between two epochs however fast the machine is
EPOCH_PAUSE = 0.0


def quality_for(lr_g: float, epoch: int) -> float:
    return 10.0 + 5.0 * abs(math.log10(lr_g / 5e-4)) + 1.0 / epoch


def plant_scores(monkeypatch) -> None:
    import workbench.core.evaluation.run_scores as run_scores
    import workbench.core.evaluation.scoring as scoring
    from helpers.scripted_scores import _Scoring

    class PlantedEvaluator:
        def __init__(self, config, scoring_model, samples, device="cpu", batch_size=500):
            self.config, self.samples, self.epoch = config, samples, 0

        def __call__(self, generator) -> dict:
            self.epoch += 1
            time.sleep(EPOCH_PAUSE)
            collapsed = self.config.lr_g >= COLLAPSING_LR
            hist = [self.samples] + [0] * 9 if collapsed else [self.samples // 10] * 10
            return {"quality": quality_for(self.config.lr_g, self.epoch), "class_balance": 0.0 if collapsed else 1.0,
                    "confidence": 0.8, "class_hist": hist, "eval_samples": self.samples,
                    "classifier_accuracy": 0.99}

    monkeypatch.setattr(run_scores, "scoring_for", lambda *args, **kwargs: _Scoring())
    monkeypatch.setattr(run_scores, "GeneratorEvaluator", PlantedEvaluator)
    monkeypatch.setattr(scoring, "GeneratorEvaluator", PlantedEvaluator)


if __name__ == "__main__":
    import pytest

    from workbench.cli import main

    EPOCH_PAUSE = float(os.environ.get("STUDY_SCORES_PAUSE", "0"))
    plant_scores(pytest.MonkeyPatch())
    sys.exit(main(sys.argv[1:]))
