"""Scores for a generator: the Fréchet score against the test split, fidelity and diversity
apart (precision, recall, density, coverage against the reference features) and class balance,
from a fixed set of latent points drawn by the evaluator's own random generator (never the
training RNG, so resume stays exact with evaluation on)."""

from __future__ import annotations

import torch

from workbench.core.config import TrainConfig
from workbench.core.evaluation.class_balance import class_balance
from workbench.core.evaluation.conditional import conditional_scores
from workbench.core.evaluation.frechet import feature_statistics, frechet_distance
from workbench.core.evaluation.registry import ScoringModel
from workbench.core.nets.conditioning import generator_classes
from workbench.core.nets.sampling import cycled_labels, draw_noise, to_display

EVAL_SEED = 20_241_129  # the same latent points for every epoch and every run of a latent size


def image_scores(images: torch.Tensor, scoring: ScoringModel, labels: torch.Tensor | None = None) -> dict:
    """Scores of images (uint8, or float in [0, 1]; resized to the classifier's size when they
    are not) against the scoring model's test split: `quality` (Fréchet score, lower is better),
    `precision`, `recall`, `density` and `coverage` (against the reference features, see
    `manifold`), `class_balance` (normalised entropy of predicted classes), `confidence` (mean
    top-class probability), `class_hist`, `eval_samples`, and `classifier_accuracy` (the judging
    classifier's accuracy on its own test images, so a score can be read with it), with
    `classifier_version` and `classifier_key` (which classifier judged, exactly: a score from an
    older one is known as such, and its reference marks are found by the key). Images drawn for
    requested classes (`labels`) also get `class_accuracy` and `intra_quality` (`conditional`)."""
    features, probs = scoring.classifier.embed(scoring.judged(images))
    mean, cov = feature_statistics(features)
    hist = torch.bincount(probs.argmax(1), minlength=probs.shape[1]).tolist()
    asked = {} if labels is None else conditional_scores(features, probs, labels, scoring)
    return {
        "quality": frechet_distance(mean, cov, scoring.test_mean, scoring.test_cov),
        **scoring.reference.scores(features),
        "class_balance": class_balance(hist),
        "confidence": float(probs.max(1).values.mean()),
        "class_hist": hist,
        "eval_samples": int(images.shape[0]),
        "classifier_accuracy": scoring.test_accuracy,
        "classifier_version": scoring.version,
        "classifier_key": scoring.name,
        **asked,
    }


class GeneratorEvaluator:
    """Scores a generator of `config` on `samples` fixed latent points; a conditional generator
    draws them for every class in turn (0, 1, …, 0, 1, …)."""

    def __init__(self, config: TrainConfig, scoring: ScoringModel, samples: int, device="cpu",
                 batch_size: int = 500):
        self.config = config
        self.scoring = scoring
        self.batch_size = batch_size
        self.noise = draw_noise(samples, config, "cpu", torch.Generator().manual_seed(EVAL_SEED)).to(device)
        self.labels: torch.Tensor | None = None  # what the last images were drawn for

    @torch.no_grad()
    def images(self, generator: torch.nn.Module) -> torch.Tensor:
        """The generator's images of the fixed latent points, in [0, 1], on the CPU; the
        generator is left in the mode it was in."""
        was_training = generator.training
        generator.eval()
        classes = generator_classes(generator)
        labels = cycled_labels(self.noise.shape[0], classes, self.noise.device) if classes else None
        self.labels = labels

        def given(i):
            return () if labels is None else (labels[i:i + self.batch_size],)

        try:
            out = [to_display(generator(self.noise[i:i + self.batch_size], *given(i)), self.config.image_range).cpu()
                   for i in range(0, self.noise.shape[0], self.batch_size)]
        finally:
            generator.train(was_training)
        return torch.cat(out)

    def __call__(self, generator: torch.nn.Module) -> dict:
        images = self.images(generator)
        return image_scores(images, self.scoring, self.labels)
