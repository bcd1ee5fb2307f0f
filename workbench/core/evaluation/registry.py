"""Which feature classifier scores a dataset, and where it comes from.

MNIST's ships inside the package (made by `python -m workbench.core.evaluation.make_shipped`),
so scores are there from the first run. The others (Fashion-MNIST, KMNIST, CIFAR-10) are trained
once on first use and cached in the app's cache folder under a key made of the dataset, the
classifier version and the dataset files' checksum: a changed dataset or a new classifier
version trains a new one. The test split's feature statistics are cached under the same key,
with the features of a fixed subset of it (REFERENCE_IMAGES, drawn by evaluation's own seeded
generator) that precision, recall, density and coverage compare with.
A folder of the user's images is `folder_scoring`'s; both share the memo and the cache folder.

A classifier judges images of its own size: a run at another size (MNIST resized to 32 or 64)
has its images resized to it, by the function that resized the training data.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from workbench.core import paths
from workbench.core.data.datasets import (
    BUILT_IN,
    files_checksum,
    load_split,
    raw_folder,
    resize_images,
)
from workbench.core.evaluation.classifier import (
    FeatureClassifier,
    accuracy,
    as_unit_float,
    load_classifier,
    save_classifier,
    train_classifier,
)
from workbench.core.evaluation.frechet import feature_statistics
from workbench.core.evaluation.manifold import RealManifold
from workbench.core.evaluation.marks import Mark
from workbench.core.evaluation.reference_marks import ensure_marks
from workbench.core.evaluation.versions import CIFAR_CLASSIFIER_VERSION, CLASSIFIER_VERSION

SHIPPED = {"mnist": Path(__file__).with_name("mnist-classifier.pt")}
#: how cached classifiers are trained (tests shrink it); at most ~3 minutes on two CPU cores
TRAINING = {"epochs": 3, "max_seconds": 150.0}
#: CIFAR-10's: one more 128-channel block, flipped and shifted images, at most 4.5 minutes
#: (aimed at 75% test accuracy on two CPU cores); its own version (in `versions`, with the
#: digits'), so changing it never retrains the digit sets'
CIFAR_TRAINING = {"epochs": 8, "max_seconds": 270.0}
CIFAR_LAYOUT = {"extra_blocks": 1, "augment": True}
#: the held-out images whose features the manifold scores compare with (all when there are fewer)
REFERENCE_IMAGES = 2000
REFERENCE_SEED = 20_250_101


@dataclass
class ScoringModel:
    """A dataset's classifier with its test-split feature statistics and the reference manifold
    (features of a fixed subset of the test split): what scores need."""

    dataset: str
    key: str
    classifier: FeatureClassifier
    meta: dict
    test_mean: torch.Tensor
    test_cov: torch.Tensor
    test_images: torch.Tensor = field(repr=False)  # uint8, for the discriminator report
    reference: RealManifold = field(repr=False)
    marks: list[Mark] = field(default_factory=list)  # the score's reference marks (see `marks`)
    test_labels: torch.Tensor | None = field(default=None, repr=False)  # the test images' classes
    class_statistics: list | None = field(default=None, repr=False)  # per class, made when asked (`conditional`)

    @property
    def test_accuracy(self) -> float | None:
        return self.meta.get("test_accuracy")

    @property
    def name(self) -> str:
        """The classifier and its reference, exactly: the cache key and the classifier's id. Stored
        with every score (`classifier_key`); its test statistics and marks are cached under it."""
        return f"{self.key}-{self.meta.get('id', 'x')}"

    @property
    def version(self) -> int | None:
        return self.meta.get("version")

    @property
    def image_size(self) -> int:
        return int(self.test_images.shape[-1])

    def judged(self, images: torch.Tensor) -> torch.Tensor:
        """Images (uint8, or float in [0, 1]) as the classifier takes them: float on the CPU at its
        size; another size is resized as the training data was (uint8, antialiased bilinear)."""
        images = images.cpu()
        if images.shape[-1] != self.image_size:
            if images.dtype != torch.uint8:
                images = images.float().mul(255.0).add_(0.5).clamp_(0, 255).to(torch.uint8)
            images = resize_images(images, self.image_size)
        return as_unit_float(images)

    def describe(self, run_size: int | None = None) -> str:
        """Which classifier judges, and how well it does on its own held-out images."""
        n, size = self.test_images.shape[0], self.image_size
        if self.dataset == "folder":
            who = f"a classifier trained on the image folder ({self.meta.get('classes')} classes)"
            held = f"its {n:,} held-out images of {self.meta.get('classes')} classes"
        else:
            who, held = f"the {self.dataset} feature classifier", f"the {n:,} test images"
        accuracy = self.test_accuracy
        text = f"Judged by {who}: {accuracy:.1%} accurate on {held}" if accuracy is not None else f"Judged by {who}"
        if run_size and run_size != size:
            text += f"; the run's {run_size}×{run_size} images are resized to its {size}×{size}"
        return text + "."

    def real_images(self, size: int) -> torch.Tensor:
        """The uint8 test images at a run's size (what its discriminator was trained on)."""
        return resize_images(self.test_images, size)


_memo: dict[str, ScoringModel] = {}
_memo_lock = threading.Lock()
_checksums: dict[tuple, str] = {}


def _checksum(dataset: str, root: Path) -> str:
    """files_checksum, remembered per process while the files' sizes and times are unchanged."""
    folder = raw_folder(dataset, root)
    try:
        stamp = tuple((e.name, e.stat().st_size, e.stat().st_mtime_ns) for e in sorted(os.scandir(folder),
                                                                                       key=lambda e: e.name))
    except OSError:
        stamp = ()
    key = (dataset, str(folder), stamp)
    if key not in _checksums:
        _checksums[key] = files_checksum(dataset, root)
    return _checksums[key]


def classifier_dir() -> Path:
    return paths.cache_dir() / "classifiers"


def recipe(dataset: str) -> tuple[int, dict, dict]:
    """(classifier version, training budget, layout) of a built-in dataset's classifier."""
    if dataset == "cifar10":
        return CIFAR_CLASSIFIER_VERSION, dict(CIFAR_TRAINING), dict(CIFAR_LAYOUT)
    return CLASSIFIER_VERSION, dict(TRAINING), {}


def cache_key(dataset: str, root: Path) -> str:
    return f"{dataset}-v{recipe(dataset)[0]}-{_checksum(dataset, root)[:16]}"


def scoring_model(dataset: str, root: str | os.PathLike,
                  progress: Callable[[float, str], None] | None = None,
                  cancel: Callable[[], bool] | None = None) -> ScoringModel:
    """The dataset's classifier and test statistics: from memory, the package, the cache, or
    trained now (with progress, cancellable). Raises DatasetMissing when the data is absent."""
    if dataset not in BUILT_IN:
        raise ValueError(f"no feature classifier for dataset {dataset!r}; known: {', '.join(BUILT_IN)}")
    root = Path(root).expanduser()
    key = cache_key(dataset, root)

    def make() -> ScoringModel:
        test_images, test_labels = load_split(dataset, root, train=False)
        classifier, meta = _classifier(dataset, root, key, test_images, test_labels, progress, cancel)
        return scoring_from(dataset, key, classifier, meta, test_images, progress, cancel, test_labels)

    return memoised(key, make)


def memoised(key: str, make: Callable[[], ScoringModel]) -> ScoringModel:
    """The scoring model kept in this process under `key`, made now when absent."""
    with _memo_lock:
        if key in _memo:
            return _memo[key]
    model = make()
    with _memo_lock:
        return _memo.setdefault(key, model)


def scoring_from(dataset: str, key: str, classifier: FeatureClassifier, meta: dict,
                 test_images: torch.Tensor, progress=None, cancel=None,
                 test_labels: torch.Tensor | None = None) -> ScoringModel:
    """A scoring model around a classifier, with its test images' feature statistics and reference
    features (cached), and its reference marks (shipped, cached, or measured now: a few seconds,
    once)."""
    mean, cov, reference = _test_statistics(f"{key}-{meta.get('id', 'x')}", classifier, test_images)
    model = ScoringModel(dataset, key, classifier, meta, mean, cov, test_images, RealManifold.of(reference),
                         test_labels=test_labels)
    model.marks = ensure_marks(model.name, model.version, classifier, test_images, mean, cov, progress, cancel)
    return model


def cache_path(key: str) -> Path:
    return classifier_dir() / f"{key}.pt"


def derived_path(name: str, suffix: str) -> Path:
    """Where something derived from the classifier `name` (a ScoringModel's name) is cached: beside
    its test statistics, `<name>-<suffix>` (its training split's features, for near-copies)."""
    return classifier_dir() / f"{name}-{suffix}"


def cached_classifier(key: str):
    """(model, meta) of the classifier cached under `key`, or None when there is none or its file
    is damaged (it is then made again)."""
    cached = cache_path(key)
    if cached.exists():
        try:
            return load_classifier(cached)
        except Exception:  # any unreadable cache file is simply remade
            pass
    return None


def _classifier(dataset, root, key, test_images, test_labels, progress, cancel):
    shipped = SHIPPED.get(dataset)
    if shipped is not None and shipped.exists():
        try:
            model, meta = load_classifier(shipped)
        except ValueError:  # a file of another layout: trained and cached like the other sets'
            model, meta = None, {}
        if meta.get("version") == CLASSIFIER_VERSION:
            return model, meta
    cached = cached_classifier(key)
    if cached is not None:
        return cached
    if progress:
        progress(0.0, f"training the {dataset} feature classifier (once; cached afterwards)")
    images, labels = load_split(dataset, root, train=True)
    version, training, layout = recipe(dataset)
    model = train_classifier(images, labels, progress=progress, cancel=cancel, **training, **layout)
    meta = classifier_meta(dataset, key, model, test_images, test_labels, images.shape[0], version, training,
                           layout.get("extra_blocks", 0))
    save_classifier(cache_path(key), model, meta)
    return model, meta


def classifier_meta(dataset: str, key: str, model: FeatureClassifier, test_images, test_labels,
                    train_count: int, version: int | None = None, training: dict | None = None,
                    extra_blocks: int = 0) -> dict:
    """What is stored beside a classifier: where it came from and its test accuracy."""
    import secrets

    first, head = model.features[0], model.head
    meta = {"id": secrets.token_hex(4), "dataset": dataset, "key": key,
            "version": CLASSIFIER_VERSION if version is None else version, "classes": head.out_features,
            "channels": first.in_channels, "train_images": int(train_count),
            "test_accuracy": accuracy(model, test_images, test_labels),
            "training": dict(TRAINING if training is None else training), "embedding": model.embedding}
    return meta | ({"extra_blocks": extra_blocks} if extra_blocks else {})


def reference_rows(count: int) -> torch.Tensor:
    """Which of `count` held-out images are the reference: REFERENCE_IMAGES of them, the same
    every time (evaluation's own seeded generator, never the training RNG), ascending."""
    order = torch.randperm(count, generator=torch.Generator().manual_seed(REFERENCE_SEED))
    return order[:REFERENCE_IMAGES].sort().values


def _test_statistics(name: str, classifier: FeatureClassifier, test_images: torch.Tensor):
    """(mean, covariance, reference features) of the test images' features, from the cache file
    when it holds them for the same reference rows (files of older releases hold no reference)."""
    path = classifier_dir() / f"{name}-test-stats.pt"
    rows = reference_rows(test_images.shape[0])
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
        if torch.equal(saved["reference_rows"], rows):
            return saved["mean"], saved["cov"], saved["reference"]
    except Exception:
        pass
    features, _ = classifier.embed(as_unit_float(test_images))
    mean, cov = feature_statistics(features)
    reference = features[rows].clone()
    try:
        from workbench.core.atomic import write_with

        write_with(path, lambda f: torch.save({"mean": mean, "cov": cov, "reference": reference,
                                               "reference_rows": rows}, f))
    except OSError:
        pass  # a read-only cache only costs a second next time
    return mean, cov, reference


def forget_memo() -> None:
    """Drop the in-process memo (tests; a dataset changed on disk)."""
    with _memo_lock:
        _memo.clear()
    _checksums.clear()
