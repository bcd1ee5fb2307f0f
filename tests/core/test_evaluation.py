"""The quality measures: Fréchet distance, class balance and the collapse flag on constructed
inputs; the shipped MNIST classifier and the score's sanity ordering on real MNIST; the
classifier cache on a small synthetic dataset in torchvision's layout; the discriminator
report."""

import json
import math
import struct

import pytest
import torch

from workbench.core.evaluation import registry
from workbench.core.evaluation.class_balance import CollapseThresholds, class_balance, collapse_reason
from workbench.core.evaluation.classifier import (
    CLASSIFIER_VERSION,
    EvaluationCancelled,
    load_classifier,
)
from workbench.core.evaluation.discriminator import format_report, report_from_probabilities
from workbench.core.evaluation.frechet import feature_statistics, frechet_distance

# ---- Fréchet distance ---------------------------------------------------------------------------

def test_frechet_distance_matches_the_closed_form():
    mean = torch.zeros(3)
    cov = torch.diag(torch.tensor([1.0, 2.0, 3.0]))
    assert frechet_distance(mean, cov, mean, cov) == pytest.approx(0.0, abs=1e-9)
    # 1-D: N(0, 1) vs N(1, 4): (0 - 1)² + 1 + 4 - 2·√4 = 2
    assert frechet_distance(torch.zeros(1), torch.eye(1), torch.ones(1), 4 * torch.eye(1)) == pytest.approx(2.0)
    # diagonal covariances: Σ (√a - √b)² + ‖Δμ‖²
    a, b = torch.tensor([1.0, 4.0, 9.0]), torch.tensor([4.0, 1.0, 9.0])
    expected = float(((a.sqrt() - b.sqrt()) ** 2).sum()) + 3.0
    assert frechet_distance(torch.zeros(3), torch.diag(a), torch.ones(3), torch.diag(b)) == pytest.approx(expected)


def test_frechet_distance_of_samples_from_one_gaussian_is_small_and_grows_with_a_shift():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(4000, 8, generator=g), torch.randn(4000, 8, generator=g)
    same = frechet_distance(*feature_statistics(x), *feature_statistics(y))
    shifted = frechet_distance(*feature_statistics(x), *feature_statistics(y + 0.5))
    gap = x.double().mean(0) - y.double().mean(0)
    # shifting one set moves only the mean term: ‖Δμ‖² becomes ‖Δμ − 0.5‖²
    expected = same - float(gap.square().sum()) + float((gap - 0.5).square().sum())
    assert same < 0.05 and shifted == pytest.approx(expected, rel=1e-6) and shifted > 1.9


# ---- class balance and the collapse flag ---------------------------------------------------------

def test_class_balance_of_constructed_histograms():
    assert class_balance([100] * 10) == pytest.approx(1.0)
    assert class_balance([1000] + [0] * 9) == 0.0
    assert class_balance([0] * 10) == 0.0
    half = class_balance([50, 50] + [0] * 8)
    assert half == pytest.approx(math.log(2) / math.log(10))


def test_collapse_flag_follows_its_thresholds():
    even = [100] * 10
    assert collapse_reason(even) is None
    one = [63, 5, 4, 4, 4, 4, 4, 4, 4, 4]
    assert collapse_reason(one) == "digit 0 is 63% of samples (limit 30%)"
    assert collapse_reason(one, CollapseThresholds(min_class_balance=0.0, max_share=0.7)) is None
    few = [200, 200, 200, 200, 200, 0, 0, 0, 0, 0]  # no class above 30%, but half the digits missing
    reason = collapse_reason(few)
    assert reason.startswith("class balance 0.70 is below 0.90") and "digit 9" in reason
    assert collapse_reason(few, CollapseThresholds(min_class_balance=0.6)) is None
    assert collapse_reason([0, 9, 1] + [0] * 7, dataset="fashion-mnist").startswith("trouser is 90%")


def test_collapse_thresholds_come_from_the_settings(isolated_home):
    from workbench.core import paths
    from workbench.core.evaluation.class_balance import MIN_BALANCE_SETTING, save_collapse_setting
    assert CollapseThresholds.from_settings() == CollapseThresholds()
    paths.save_setting("collapse_min_coverage", 0.5)  # the key before the rename still loads
    paths.save_setting("collapse_max_share", 0.8)
    assert CollapseThresholds.from_settings() == CollapseThresholds(0.5, 0.8)
    save_collapse_setting(MIN_BALANCE_SETTING, 0.4)  # the new key wins, and the old one goes
    assert CollapseThresholds.from_settings() == CollapseThresholds(0.4, 0.8)
    assert paths.load_settings() == {"collapse_min_class_balance": 0.4, "collapse_max_share": 0.8}
    paths.save_setting("collapse_max_share", "nonsense")
    assert CollapseThresholds.from_settings().max_share == CollapseThresholds().max_share


# ---- the discriminator report ---------------------------------------------------------------------

def test_discriminator_report_counts_real_as_the_positive_class():
    real = torch.tensor([0.9, 0.8, 0.7, 0.2])  # 3 of 4 real called real
    fake = torch.tensor([0.6, 0.1, 0.1, 0.1])  # 1 of 4 fake called real
    report = report_from_probabilities(real, fake)
    assert report["precision"] == pytest.approx(3 / 4) and report["recall"] == pytest.approx(3 / 4)
    assert report["f1"] == pytest.approx(3 / 4) and report["accuracy"] == pytest.approx(6 / 8)
    assert sum(report["real_hist"]) == 4 and sum(report["fake_hist"]) == 4
    assert report["fake_hist"][2] == 3 and len(report["bins"]) == 21
    report["epoch"] = 3
    assert "precision 0.750" in format_report(report)


# ---- the shipped classifier and the score on real MNIST -------------------------------------------

def test_shipped_mnist_classifier_is_small_safe_and_as_accurate_as_recorded(mnist_root):
    path = registry.SHIPPED["mnist"]
    assert path.stat().st_size < 1_000_000
    recorded = json.loads(path.with_suffix(".json").read_text())
    model, meta = load_classifier(path)  # weights_only=True inside
    assert meta["version"] == CLASSIFIER_VERSION and meta["test_accuracy"] >= 0.98
    assert recorded["test_accuracy"] == pytest.approx(meta["test_accuracy"])
    scoring = registry.scoring_model("mnist", mnist_root)
    from workbench.core.data.datasets import load_split
    from workbench.core.evaluation.classifier import accuracy

    images, labels = load_split("mnist", mnist_root, train=False)
    assert accuracy(scoring.classifier, images, labels) == pytest.approx(meta["test_accuracy"], abs=1e-4)


def test_features_keep_the_layout_at_every_size_and_older_files_still_load(tmp_path):
    from workbench.core.evaluation.classifier import FeatureClassifier, save_classifier

    for channels, size, extra in ((1, 28, 0), (3, 32, 1), (3, 64, 0)):
        model = FeatureClassifier(10, channels, extra).eval()
        features, probs = model.embed(torch.rand(3, channels, size, size))
        assert features.shape == (3, 128) and probs.shape == (3, 10)
        assert model.embedding == "map" and isinstance(model.features[-3], torch.nn.Linear)
    # the features see where a stroke is: a bar moved 8 pixels reads differently, where the pooled
    # features of version 2 (kept to read older files) could not tell the two apart
    left, right = torch.zeros(2, 1, 28, 28), torch.zeros(2, 1, 28, 28)
    left[..., 9:19, 8:11], right[..., 9:19, 16:19] = 1.0, 1.0

    def moved(model):
        a, b = model.embed(left)[0][0], model.embed(right)[0][0]
        return float((a - b).norm() / a.norm())

    pooled = FeatureClassifier(embedding="pooled").eval()
    assert moved(pooled) < 1e-4 and moved(FeatureClassifier().eval()) > 0.05
    save_classifier(tmp_path / "old.pt", pooled, {"classes": 10, "channels": 1, "version": 2})  # no "embedding"
    assert load_classifier(tmp_path / "old.pt")[0].embedding == "pooled"
    save_classifier(tmp_path / "new.pt", FeatureClassifier(), {"classes": 10, "channels": 1})  # mislabelled
    with pytest.raises(ValueError, match="does not match its recorded layout"):
        load_classifier(tmp_path / "new.pt")


def test_shipped_marks_are_what_the_shipped_classifier_measures_and_keep_their_order(mnist_root):
    """Real < blurred σ 0.5 < σ 1 < σ 2 < noise, and broken strokes (a quadrant of another digit,
    erased patches) read worse than a slight blur: what the layout-keeping features are for."""
    from workbench.core.evaluation.marks import shipped_marks
    from workbench.core.evaluation.reference_marks import measure

    scoring = registry.scoring_model("mnist", mnist_root)
    shipped = {m["id"]: m["score"] for m in shipped_marks()["marks"]}
    measured = {m.id: m.score for m in measure(scoring.classifier, scoring.test_images, scoring.test_mean,
                                                scoring.test_cov)}
    assert measured == pytest.approx(shipped, rel=1e-3) and scoring.marks
    assert measured["real"] < measured["blur-0.5"] < measured["blur-1"] < measured["blur-2"] < measured["noise"]
    assert measured["quadrant"] > 2 * measured["blur-0.5"] and measured["erased"] > 2 * measured["blur-0.5"]
    assert measured["real"] < 0.5 and measured["noise"] > 10 * measured["blur-1"]


def test_score_orders_real_blurred_noise_and_one_digit_sets(mnist_root):
    from torchvision.transforms.functional import gaussian_blur

    from workbench.core.data.datasets import load_split
    from workbench.core.evaluation.run_scores import score_images

    images, labels = load_split("mnist", mnist_root, train=True)
    picked = images[torch.randperm(images.shape[0], generator=torch.Generator().manual_seed(1))[:2000]]

    def score(x):
        return score_images(x, "mnist", str(mnist_root))

    real = score(picked)
    blurred = [score(gaussian_blur(picked.float() / 255, [7, 7], [s, s]))["quality"] for s in (0.7, 1.2, 2.0)]
    noise = score(torch.rand(2000, 1, 28, 28, generator=torch.Generator().manual_seed(2)))
    ones = score(images[labels == 1][:2000])
    assert real["quality"] < 0.5 and real["class_balance"] > 0.99 and real["confidence"] > 0.95
    assert blurred == sorted(blurred) and blurred[0] > 10 * real["quality"]
    assert noise["quality"] > 10 * blurred[0] and ones["quality"] > 10 * real["quality"]
    assert ones["class_balance"] < 0.1 and ones["class_hist"][1] > 1900
    assert collapse_reason(ones["class_hist"]).startswith("digit 1 is")


# ---- a classifier trained on first use, cached by key --------------------------------------------

def write_idx(path, array: torch.Tensor) -> None:
    """torchvision's raw MNIST format: magic, dims, then uint8 bytes."""
    dims = array.shape
    with open(path, "wb") as f:
        f.write(struct.pack(">I", 0x0800 + len(dims)))
        for d in dims:
            f.write(struct.pack(">I", d))
        f.write(array.to(torch.uint8).numpy().tobytes())


def fake_fashion_mnist(root, train_count=1500, test_count=300, seed=0):
    """A small Fashion-MNIST in torchvision's raw layout: each class a bright bar at its own row."""
    g = torch.Generator().manual_seed(seed)
    folder = root / "FashionMNIST" / "raw"
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, n in (("train", train_count), ("t10k", test_count)):
        labels = torch.arange(n) % 10
        images = (torch.rand(n, 28, 28, generator=g) * 60).to(torch.uint8)
        for i, c in enumerate(labels.tolist()):
            images[i, 2 + 2 * c:4 + 2 * c, 4:24] = 255
        write_idx(folder / f"{prefix}-images-idx3-ubyte", images)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte", labels)
    return folder


@pytest.fixture
def small_training(monkeypatch):
    # no clock: a loaded machine cut it short
    monkeypatch.setattr(registry, "TRAINING", {"epochs": 4, "max_seconds": None})
    registry.forget_memo()
    yield
    registry.forget_memo()


def test_classifier_is_trained_once_cached_and_retrained_when_its_key_changes(tmp_path, small_training,
                                                                               monkeypatch):
    folder = fake_fashion_mnist(tmp_path)
    calls = []
    real_train = registry.train_classifier
    monkeypatch.setattr(registry, "train_classifier", lambda *a, **k: calls.append(1) or real_train(*a, **k))
    progress = []
    first = registry.scoring_model("fashion-mnist", tmp_path, progress=lambda f, t: progress.append((f, t)))
    assert len(calls) == 1 and progress and first.test_accuracy > 0.9
    assert (registry.classifier_dir() / f"{first.key}.pt").exists()
    assert registry.scoring_model("fashion-mnist", tmp_path) is first  # in-process memo
    registry.forget_memo()
    second = registry.scoring_model("fashion-mnist", tmp_path)  # from the cache folder
    assert len(calls) == 1 and second.key == first.key and second.meta["id"] == first.meta["id"]
    # a changed dataset file changes the key: trained again
    registry.forget_memo()
    fake_fashion_mnist(tmp_path, seed=1)
    third = registry.scoring_model("fashion-mnist", tmp_path)
    assert len(calls) == 2 and third.key != first.key
    # a new classifier version: trained again
    registry.forget_memo()
    monkeypatch.setattr(registry, "CLASSIFIER_VERSION", CLASSIFIER_VERSION + 1)
    fourth = registry.scoring_model("fashion-mnist", tmp_path)
    assert len(calls) == 3 and fourth.key != third.key and folder.is_dir()


def test_classifier_training_reports_its_steps(monkeypatch):
    import itertools

    from workbench.core.evaluation import classifier

    ticks = itertools.count(1000.0, 0.3)  # a clock far from zero, 0.3 s a reading
    monkeypatch.setattr(classifier.time, "perf_counter", lambda: next(ticks))
    images, labels = torch.randint(0, 256, (64, 1, 28, 28), dtype=torch.uint8), torch.arange(64) % 10
    reports = []
    classifier.train_classifier(images, labels, epochs=2, batch_size=16, progress=lambda f, t: reports.append((f, t)))
    assert [t for _, t in reports][:1] == ["training the feature classifier: step 1/8, loss " + reports[0][1][-5:]]
    assert len(reports) >= 6 and [f for f, _ in reports] == sorted(f for f, _ in reports)


def test_classifier_training_can_be_cancelled(tmp_path, small_training):
    fake_fashion_mnist(tmp_path)
    with pytest.raises(EvaluationCancelled):
        registry.scoring_model("fashion-mnist", tmp_path, cancel=lambda: True)
    assert not list(registry.classifier_dir().glob("fashion-mnist-*.pt"))


def test_training_with_evaluation_on_a_dataset_without_data_says_so_and_trains_on(tmp_path, mnist_root,
                                                                                 monkeypatch, isolated_home):
    """Evaluation that cannot be prepared is a notice, never a failed run."""
    from workbench.core.events import Notice
    from workbench.core.presets import preset_config
    from workbench.core.store.runs import RunStore
    from workbench.core.training.trainer import Trainer

    monkeypatch.setattr(registry, "SHIPPED", {})
    monkeypatch.setattr(registry, "load_split", lambda *a, **k: (_ for _ in ()).throw(OSError("no test split")))
    registry.forget_memo()
    config = preset_config("mlp-small").with_changes(epochs=1, max_batches=3, eval_samples=300,
                                                    data_dir=str(mnist_root))
    events = []
    final = Trainer(config, RunStore().create(config)).fit(events.append)
    registry.forget_memo()
    assert type(final).__name__ == "Finished"
    assert any(isinstance(e, Notice) and "Evaluation is off" in e.message for e in events)


def test_scoring_never_moves_the_global_random_stream(tmp_path, small_training, mnist_root):
    """A run being trained (maybe in another thread) draws from torch's global generator;
    loading or training a classifier must not, or resume and reproducibility break."""
    fake_fashion_mnist(tmp_path)
    torch.manual_seed(123)
    before = torch.get_rng_state()
    registry.scoring_model("mnist", mnist_root)  # loads the shipped classifier
    registry.scoring_model("fashion-mnist", tmp_path)  # trains one
    assert torch.equal(before, torch.get_rng_state())
