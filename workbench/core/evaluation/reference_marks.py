"""Measuring the reference marks of a classifier: the Fréchet score of real held-out images, and
of the same images spoilt in known ways (`degradations`), against the held-out images' own
statistics, on as many images as evaluation scores (2,000 by default; all of them when there are
fewer). `marks` reads them without torch; this module makes them, once per classifier, and caches
them under the name of its test statistics.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from workbench.core.evaluation.classifier import EvaluationCancelled, FeatureClassifier, as_unit_float
from workbench.core.evaluation.degradations import DEGRADATIONS
from workbench.core.evaluation.frechet import feature_statistics, frechet_distance
from workbench.core.evaluation.marks import FORMAT, Mark, cached_marks_path, from_json, marks_for

SAMPLES = 2000
SEED = 0


def measure(classifier: FeatureClassifier, test_images: torch.Tensor, test_mean: torch.Tensor,
            test_cov: torch.Tensor, samples: int = SAMPLES, seed: int = SEED,
            progress: Callable[[float, str], None] | None = None,
            cancel: Callable[[], bool] | None = None) -> list[Mark]:
    """The marks of `classifier` on `samples` of its held-out `test_images` (drawn with `seed`)."""
    generator = torch.Generator().manual_seed(seed)
    count = min(samples, test_images.shape[0])
    picked = as_unit_float(test_images[torch.randperm(test_images.shape[0], generator=generator)[:count]])
    marks = []
    for i, (ident, name, spoil) in enumerate(DEGRADATIONS):
        if cancel is not None and cancel():
            raise EvaluationCancelled("Measuring the reference marks was cancelled.")
        if progress is not None:
            progress(i / len(DEGRADATIONS), f"measuring the score's reference marks: {name}")
        images = spoil(picked, torch.Generator().manual_seed(seed + 1 + i))
        features, _ = classifier.embed(images)
        score = frechet_distance(*feature_statistics(features), test_mean, test_cov)
        marks.append(Mark(ident, name, round(score, 4)))
    return marks


def marks_object(name: str, version: int | None, marks: list[Mark], samples: int, seed: int = SEED) -> dict:
    """What a marks file holds: the classifier they belong to, how they were measured, the marks."""
    return {"format": FORMAT, "classifier": name, "classifier_version": version, "samples": samples,
            "seed": seed, "marks": [{"id": m.id, "name": m.name, "score": m.score} for m in marks]}


def ensure_marks(name: str, version: int | None, classifier: FeatureClassifier, test_images: torch.Tensor,
                 test_mean: torch.Tensor, test_cov: torch.Tensor, progress=None, cancel=None) -> list[Mark]:
    """The classifier's marks: shipped, cached, or measured now and cached (a few seconds)."""
    known = marks_for(name)
    if known:
        return known
    marks = measure(classifier, test_images, test_mean, test_cov, progress=progress, cancel=cancel)
    data = marks_object(name, version, marks, min(SAMPLES, test_images.shape[0]))
    try:
        from workbench.core.atomic import write_json

        write_json(cached_marks_path(name), data)
    except OSError:
        pass  # a read-only cache: measured again next time
    return from_json(data)
