"""Quality scores beyond 28×28 digits: CIFAR-10's own classifier (trained on a small patterned
copy in torchvision's layout: cached, reused, retrained when its key changes, scores computed),
and MNIST resized to 32 or 64 judged by the 28×28 classifier after resizing back the way the
data was resized."""

import json
from importlib import resources

import pytest
import torch

from helpers.colour_runs import train_scored_run
from helpers.image_files import write_fake_cifar10
from workbench.cli import main
from workbench.core.config import TrainConfig
from workbench.core.data.datasets import load_split, resize_images
from workbench.core.evaluation import registry
from workbench.core.evaluation.classifier import EvaluationCancelled, accuracy
from workbench.core.evaluation.marks import cached_marks_path, marks_for
from workbench.core.evaluation.run_scores import run_discriminator_report, scoring_for
from workbench.core.evaluation.scoring import image_scores
from workbench.core.store.runs import RunStore
from workbench.core.training.trainer import Trainer


@pytest.fixture(autouse=True)
def fresh_memory(fresh_scoring_memory):
    pass


@pytest.fixture
def cifar(tmp_path, monkeypatch):
    """A 300-image patterned CIFAR-10 (60 test images) and a training budget of a few seconds."""
    monkeypatch.setattr(registry, "CIFAR_TRAINING", {"epochs": 5, "max_seconds": None})
    write_fake_cifar10(tmp_path / "data", per_batch=60, monkeypatch=monkeypatch, patterned=True)
    return tmp_path / "data"


def cifar_config(root, **changes):
    return TrainConfig(dataset="cifar10", data_dir=str(root), channels=3, image_size=32, g_widths=[8, 8, 8],
                       d_widths=[8, 8, 8], batch_size=8, epochs=1, max_batches=2, eval_samples=256,
                       keep_checkpoint_every=1).with_changes(**changes)


def test_cifar10_classifier_is_trained_once_cached_and_retrained_when_its_key_changes(cifar, monkeypatch):
    calls = []
    real_train = registry.train_classifier
    monkeypatch.setattr(registry, "train_classifier", lambda *a, **k: calls.append(k) or real_train(*a, **k))
    progress = []
    first = registry.scoring_model("cifar10", cifar, progress=lambda f, t: progress.append(t))
    assert len(calls) == 1 and calls[0]["extra_blocks"] == 1 and calls[0]["augment"] is True
    assert any("cifar10 feature classifier" in t for t in progress)
    meta = first.meta
    assert meta["channels"] == 3 and meta["extra_blocks"] == 1 and meta["version"] == registry.CIFAR_CLASSIFIER_VERSION
    assert meta["train_images"] == 300 and meta["training"] == {"epochs": 5, "max_seconds": None}
    test_images, test_labels = load_split("cifar10", cifar, train=False)
    assert first.test_accuracy == pytest.approx(accuracy(first.classifier, test_images, test_labels))
    assert first.test_accuracy >= 0.2  # ten patterned classes: above chance after 15 steps (0.33 seen)
    assert first.key.startswith(f"cifar10-v{registry.CIFAR_CLASSIFIER_VERSION}-")
    assert (registry.classifier_dir() / f"{first.key}.pt").exists()
    assert registry.scoring_model("cifar10", cifar) is first
    registry.forget_memo()
    second = registry.scoring_model("cifar10", cifar)  # from the cache folder, same weights
    assert len(calls) == 1 and second.meta["id"] == meta["id"]
    assert torch.equal(second.classifier.head.weight, first.classifier.head.weight)
    registry.forget_memo()
    monkeypatch.setattr(registry, "CLASSIFIER_VERSION", registry.CLASSIFIER_VERSION + 1)  # the digits' only
    assert registry.scoring_model("cifar10", cifar).key == first.key and len(calls) == 1
    registry.forget_memo()
    monkeypatch.setattr(registry, "CIFAR_CLASSIFIER_VERSION", registry.CIFAR_CLASSIFIER_VERSION + 1)
    assert registry.scoring_model("cifar10", cifar).key != first.key and len(calls) == 2
    registry.forget_memo()
    changed = registry.scoring_model("cifar10", cifar).key
    registry.forget_memo()
    write_fake_cifar10(cifar, per_batch=60, seed=1, monkeypatch=monkeypatch, patterned=True)  # other files
    assert registry.scoring_model("cifar10", cifar).key not in (first.key, changed) and len(calls) == 3


def test_cifar10_classifier_training_can_be_cancelled(cifar):
    with pytest.raises(EvaluationCancelled):
        registry.scoring_model("cifar10", cifar, cancel=lambda: True)
    assert not list(registry.classifier_dir().glob("cifar10-*.pt"))


def test_a_cifar10_run_is_scored_every_epoch_and_by_evaluate(cifar, capsys):
    config = cifar_config(cifar)
    run = train_scored_run(config, "cifar")
    entry = run.metrics().epochs[-1]
    assert entry["quality"] >= 0 and len(entry["class_hist"]) == 10 and entry["eval_samples"] == 256
    assert entry["classifier_accuracy"] == pytest.approx(scoring_for(config).test_accuracy)
    report = run_discriminator_report(run, store=False)
    assert report["samples"] == 60
    capsys.readouterr()
    assert main(["evaluate", "cifar", "--samples", "256"]) == 0
    out = capsys.readouterr().out
    assert f"Judged by the cifar10 feature classifier: {entry['classifier_accuracy']:.1%} accurate on the 60 " \
           f"test images." in out
    # its reference marks, measured once on its 60 test images and cached beside its statistics
    assert entry["classifier_version"] == registry.CIFAR_CLASSIFIER_VERSION
    assert cached_marks_path(entry["classifier_key"]).exists() and "Reference marks" in out
    marks = {m.id: m.score for m in marks_for(entry["classifier_key"])}
    assert len(marks) == 8 and marks["real"] < marks["blur-2"]


# ---- MNIST resized: the 28×28 classifier, images resized back as the data was -----------------

def test_resized_images_are_judged_at_28_by_the_resize_the_data_had(mnist_root):
    scoring = scoring_for(TrainConfig(image_size=32, g_widths=[8, 8, 8], d_widths=[8, 8, 8],
                                      data_dir=str(mnist_root)))
    assert scoring is registry.scoring_model("mnist", mnist_root) and scoring.image_size == 28
    images = load_split("mnist", mnist_root, train=True)[0][:2000]
    for size in (32, 64):
        resized = resize_images(images, size)  # what a run at this size trains on
        judged = scoring.judged(resized)
        assert judged.shape == (2000, 1, 28, 28)
        assert torch.equal(judged, resize_images(resized, 28).float() / 255)
        assert torch.equal(scoring.judged(resized.float() / 255), judged)  # generated floats, quantised alike
        scores = image_scores(resized, scoring)
        # real digits score near the floor the two resizes' blur sets (about 6.6; 0.09 unresized)
        assert scores["quality"] < 10 and scores["class_balance"] > 0.99, (size, scores)
        assert scoring.real_images(size).shape == (10000, 1, size, size)
    noise = image_scores(torch.rand(2000, 1, 32, 32, generator=torch.Generator().manual_seed(0)), scoring)
    assert noise["quality"] > 100


def test_a_resized_mnist_run_is_scored_and_says_how(data, capsys):
    config = TrainConfig(image_size=32, architecture="mlp", g_widths=[64], d_widths=[64], epochs=1, max_batches=3,
                         eval_samples=256, batch_size=64)
    run = RunStore().create(config, name="mnist32")
    final = Trainer(config, run).fit()
    assert type(final).__name__ == "Finished", final
    entry = run.metrics().epochs[-1]
    shipped = json.loads(resources.files("workbench.core.evaluation").joinpath("mnist-classifier.json").read_text())
    assert entry["quality"] > 0 and entry["classifier_accuracy"] == pytest.approx(shipped["test_accuracy"], abs=1e-6)
    assert main(["evaluate", "mnist32", "--samples", "256", "--discriminator"]) == 0
    out = capsys.readouterr().out
    assert (f"{shipped['test_accuracy']:.1%} accurate on the 10,000 test images; the run's 32×32 images are "
            f"resized to its 28×28") in out
    assert "10000 real test images" in out
