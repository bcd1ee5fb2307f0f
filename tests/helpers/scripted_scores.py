"""Scores chosen by the test instead of measured: training's per-epoch scoring and `evaluate`
then give the Fréchet scores listed, in the order epochs are scored, without loading a
classifier, so which epoch is best is known in advance."""

from __future__ import annotations

from collections.abc import Iterable


class _Scoring:
    """Stands for a ScoringModel where evaluation only asks it to describe itself and for its
    reference marks (none)."""

    marks: list = []

    def describe(self, image_size: int) -> str:
        return "scripted scores (test)"


def script_scores(monkeypatch, qualities: Iterable[float]) -> list[float]:
    """Patch scoring so each scored epoch gets the next of `qualities`; returns the list of
    scores handed out so far (it grows as epochs are scored)."""
    import workbench.core.evaluation.run_scores as run_scores
    import workbench.core.evaluation.scoring as scoring

    pending, given = iter(qualities), []

    class ScriptedEvaluator:
        def __init__(self, config, scoring_model, samples, device="cpu", batch_size=500):
            self.samples = samples

        def __call__(self, generator) -> dict:
            quality = next(pending)
            given.append(quality)
            return {"quality": quality, "class_balance": 0.9, "confidence": 0.8,
                    "class_hist": [self.samples // 10] * 10, "eval_samples": self.samples,
                    "classifier_accuracy": 0.99}

    monkeypatch.setattr(run_scores, "scoring_for", lambda *args, **kwargs: _Scoring())
    monkeypatch.setattr(run_scores, "GeneratorEvaluator", ScriptedEvaluator)
    monkeypatch.setattr(scoring, "GeneratorEvaluator", ScriptedEvaluator)
    return given
