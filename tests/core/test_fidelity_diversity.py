"""Fidelity and diversity apart on real MNIST, judged by the shipped classifier against its
reference features: real digits score high on both, a generator collapsed onto one digit keeps
its precision and loses its recall, blurred digits lose precision. The reference is a fixed
subset of the test split, cached beside the test statistics; metrics lines written before the
rename read their `coverage` as the class balance."""

import pytest
import torch

from workbench.core.evaluation import registry
from workbench.core.evaluation.classifier import as_unit_float
from workbench.core.evaluation.scoring import image_scores
from workbench.core.store.scores import current_names, scores_of


@pytest.fixture
def mnist_scoring(data, fresh_scoring_memory):
    return registry.scoring_model("mnist", data)


@pytest.fixture
def training_digits(data):
    from workbench.core.data.datasets import load_split

    return load_split("mnist", data, train=True)


def picked(images, count=2000, seed=1):
    return images[torch.randperm(images.shape[0], generator=torch.Generator().manual_seed(seed))[:count]]


def test_the_reference_is_a_fixed_subset_cached_beside_the_test_statistics(mnist_scoring, data):
    rows = registry.reference_rows(10_000)
    assert rows.shape == (2000,) and rows.unique().shape == (2000,)
    assert torch.equal(rows, registry.reference_rows(10_000))
    features, _ = mnist_scoring.classifier.embed(as_unit_float(mnist_scoring.test_images[rows]))
    assert torch.allclose(mnist_scoring.reference.points, features.double())
    (cached,) = registry.classifier_dir().glob(f"{mnist_scoring.key}-*-test-stats.pt")
    saved = torch.load(cached, weights_only=True)
    assert torch.equal(saved["reference_rows"], rows) and saved["reference"].shape == (2000, 128)
    # a cache file of an earlier release holds no reference: it is made again, the same
    torch.save({"mean": saved["mean"], "cov": saved["cov"]}, cached)
    registry.forget_memo()
    again = registry.scoring_model("mnist", data)
    assert torch.equal(again.reference.points, mnist_scoring.reference.points)
    assert "reference" in torch.load(cached, weights_only=True)


def test_real_digits_score_high_on_fidelity_and_diversity(mnist_scoring, training_digits):
    real = image_scores(picked(training_digits[0]), mnist_scoring)
    assert real["precision"] > 0.75 and real["recall"] > 0.75, real
    assert 0.8 < real["density"] < 1.2 and real["coverage"] > 0.85, real
    assert real["class_balance"] > 0.99


def test_a_generator_collapsed_onto_one_digit_keeps_precision_and_loses_recall(mnist_scoring, training_digits):
    images, labels = training_digits
    sevens = images[labels == 7][:200].repeat(10, 1, 1, 1)  # 200 sevens, each drawn 10 times
    collapsed = image_scores(sevens, mnist_scoring)
    assert collapsed["recall"] <= 0.2 and collapsed["coverage"] <= 0.2, collapsed
    assert collapsed["precision"] > 0.7, collapsed  # every sample is a real digit
    assert collapsed["class_balance"] < 0.1


def test_blurred_digits_have_lower_precision_than_sharp_ones(mnist_scoring, training_digits):
    from torchvision.transforms.functional import gaussian_blur

    sharp_images = picked(training_digits[0])
    sharp = image_scores(sharp_images, mnist_scoring)
    unit = sharp_images.float() / 255
    blurred = image_scores(gaussian_blur(unit, [7, 7], [1.0, 1.0]), mnist_scoring)
    more = image_scores(gaussian_blur(unit, [13, 13], [2.0, 2.0]), mnist_scoring)
    # the layout-keeping features (classifier version 3) read a σ 1 blur mostly as lost variety
    # and density, and lose precision with the blur's strength
    assert more["precision"] < 0.9 * blurred["precision"] < 0.9 * 0.99 * sharp["precision"], (sharp, blurred, more)
    assert blurred["recall"] < 0.05 and blurred["density"] < 0.75 * sharp["density"]
    assert more["density"] < 0.5 * sharp["density"]


def test_an_old_metrics_line_reads_its_coverage_as_the_class_balance():
    old = {"epoch": 2, "d_loss": 1.0, "quality": 12.0, "coverage": 0.93, "confidence": 0.9}
    assert list(current_names(old)) == ["epoch", "d_loss", "quality", "class_balance", "confidence"]
    assert scores_of(old) == {"quality": 12.0, "precision": None, "recall": None, "density": None,
                              "coverage": None, "class_balance": 0.93}
    new = {"epoch": 2, "quality": 12.0, "precision": 0.8, "recall": 0.7, "density": 0.9, "coverage": 0.85,
           "class_balance": 0.99}
    assert current_names(new) is new and scores_of(new)["coverage"] == 0.85
