"""Which feature classifier scores a dataset, and where it comes from.

MNIST's ships inside the package (made by `python -m workbench.core.evaluation.make_shipped`),
so scores are there from the first run. The others are trained once on first use and cached in
the app's cache folder under a key made of the dataset, the classifier version and the dataset
files' checksum: a changed dataset or a new classifier version trains a new one. The test
split's feature statistics are cached under the same key.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch

from workbench import paths
from workbench.core.datasets import DATASETS, files_checksum, load_split, raw_folder
from workbench.core.evaluation.classifier import (
    CLASSIFIER_VERSION, FeatureClassifier, accuracy, as_unit_float, load_classifier, save_classifier,
    train_classifier,
)
from workbench.core.evaluation.frechet import feature_statistics

SHIPPED = {"mnist": Path(__file__).with_name("mnist-classifier.pt")}
#: how cached classifiers are trained (tests shrink it); at most ~3 minutes on two CPU cores
TRAINING = {"epochs": 3, "max_seconds": 150.0}


@dataclass
class ScoringModel:
    """A dataset's classifier with its test-split feature statistics: what scores need."""

    dataset: str
    key: str
    classifier: FeatureClassifier
    meta: dict
    test_mean: torch.Tensor
    test_cov: torch.Tensor
    test_images: torch.Tensor = field(repr=False)  # uint8, for the discriminator report

    @property
    def test_accuracy(self) -> float | None:
        return self.meta.get("test_accuracy")


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


def cache_key(dataset: str, root: Path) -> str:
    return f"{dataset}-v{CLASSIFIER_VERSION}-{_checksum(dataset, root)[:16]}"


def scoring_model(dataset: str, root: str | os.PathLike,
                  progress: Callable[[float, str], None] | None = None,
                  cancel: Callable[[], bool] | None = None) -> ScoringModel:
    """The dataset's classifier and test statistics: from memory, the package, the cache, or
    trained now (with progress, cancellable). Raises DatasetMissing when the data is absent."""
    if dataset not in DATASETS:
        raise ValueError(f"no feature classifier for dataset {dataset!r}; known: {', '.join(DATASETS)}")
    root = Path(root).expanduser()
    key = cache_key(dataset, root)
    with _memo_lock:
        if key in _memo:
            return _memo[key]
    test_images, test_labels = load_split(dataset, root, train=False)
    classifier, meta = _classifier(dataset, root, key, test_images, test_labels, progress, cancel)
    mean, cov = _test_statistics(f"{key}-{meta.get('id', 'x')}", classifier, test_images)
    model = ScoringModel(dataset, key, classifier, meta, mean, cov, test_images)
    with _memo_lock:
        _memo[key] = model
    return model


def _classifier(dataset, root, key, test_images, test_labels, progress, cancel):
    shipped = SHIPPED.get(dataset)
    if shipped is not None and shipped.exists():
        model, meta = load_classifier(shipped)
        if meta.get("version") == CLASSIFIER_VERSION:
            return model, meta
    cached = classifier_dir() / f"{key}.pt"
    if cached.exists():
        try:
            return load_classifier(cached)
        except Exception:  # a damaged cache file is made again
            pass
    if progress:
        progress(0.0, f"training the {dataset} feature classifier (once; cached afterwards)")
    images, labels = load_split(dataset, root, train=True)
    model = train_classifier(images, labels, progress=progress, cancel=cancel, **TRAINING)
    meta = classifier_meta(dataset, key, model, test_images, test_labels, images.shape[0])
    save_classifier(cached, model, meta)
    return model, meta


def classifier_meta(dataset: str, key: str, model: FeatureClassifier, test_images, test_labels,
                    train_count: int) -> dict:
    """What is stored beside a classifier: where it came from and its test accuracy."""
    import secrets

    return {"id": secrets.token_hex(4), "dataset": dataset, "key": key, "version": CLASSIFIER_VERSION, "classes": 10, "channels": 1,
            "train_images": int(train_count), "test_accuracy": accuracy(model, test_images, test_labels),
            "training": dict(TRAINING)}


def _test_statistics(name: str, classifier: FeatureClassifier, test_images: torch.Tensor):
    path = classifier_dir() / f"{name}-test-stats.pt"
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
        return saved["mean"], saved["cov"]
    except Exception:
        pass
    features, _ = classifier.embed(as_unit_float(test_images))
    mean, cov = feature_statistics(features)
    try:
        from workbench.core.atomic import write_with

        write_with(path, lambda f: torch.save({"mean": mean, "cov": cov}, f))
    except OSError:
        pass  # a read-only cache only costs a second next time
    return mean, cov


def forget_memo() -> None:
    """Drop the in-process memo (tests; a dataset changed on disk)."""
    with _memo_lock:
        _memo.clear()
    _checksums.clear()
