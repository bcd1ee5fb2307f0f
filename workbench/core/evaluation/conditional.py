"""The measures of a conditional run (`condition: class`), scored on samples drawn for requested
classes (every class equally often):

- `class_accuracy`: the share of samples the judging classifier assigns the class they were
  drawn for ("asked for a 7, got a 7");
- `intra_quality`: the intra-class Fréchet score, the mean over classes of the Fréchet score
  between a class's samples and that class's held-out reference images (lower is better).
  Each class's reference statistics are computed once per scoring model and kept with it.
"""

from __future__ import annotations

import torch

from workbench.core.evaluation.classifier import as_unit_float
from workbench.core.evaluation.frechet import feature_statistics, frechet_distance


def class_statistics(scoring) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(mean, covariance) of each class's held-out images' features, in label order."""
    if scoring.class_statistics is None:
        if scoring.test_labels is None:
            raise ValueError("the scoring model holds no test labels")
        features, _ = scoring.classifier.embed(as_unit_float(scoring.test_images))
        labels = scoring.test_labels
        scoring.class_statistics = [feature_statistics(features[labels == c]) for c in range(int(labels.max()) + 1)]
    return scoring.class_statistics


def conditional_scores(features: torch.Tensor, probs: torch.Tensor, labels: torch.Tensor, scoring) -> dict:
    """{class_accuracy, intra_quality} of samples with these features and classifier
    probabilities, drawn for `labels`; a class with fewer than 2 samples is left out of the mean."""
    labels = labels.cpu()
    accuracy = float((probs.argmax(1) == labels).float().mean())
    statistics = class_statistics(scoring)
    distances = []
    for c, (mean, cov) in enumerate(statistics):
        rows = labels == c
        if int(rows.sum()) >= 2:
            sample_mean, sample_cov = feature_statistics(features[rows])
            distances.append(frechet_distance(sample_mean, sample_cov, mean, cov))
    intra = sum(distances) / len(distances) if distances else None
    return {"class_accuracy": accuracy, "intra_quality": intra}
