"""Near-copies of the training set, in the feature classifier's space: each generated sample's
nearest training images, and the memorisation ratio.

Why: the scores say how real and how varied the samples are, not whether they are new; a
generator that reproduced its training digits would score like a perfect one. So each sample's
distance to its nearest training image is compared with how near images no network trained on
come to the training split: the held-out reference (the test split's reference rows, see
`registry`). The threshold is the 5th percentile of the held-out images' nearest-training
distances, and the memorisation ratio is the share of samples nearer than that: about 0.05 for
samples like held-out digits (exactly the held-out baseline for the reference itself), near 1
for copies of training images, near 0 for novel or poor ones.

Distances are exact (every pair, in double precision), in blocks, so memory stays bounded with
60,000 training images. The training split's features are computed once per classifier (tens of
seconds on two CPU cores, with progress) and cached beside its test statistics.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from workbench.core.data.datasets import BUILT_IN, load_split
from workbench.core.evaluation.classifier import EvaluationCancelled
from workbench.core.evaluation.registry import ScoringModel, derived_path

NEIGHBOURS = 3
#: the held-out images' nearest-training distance below which a sample counts as a near-copy
HELD_OUT_PERCENTILE = 5.0
QUERY_BLOCK = 512
KEY_BLOCK = 8192  # 512 × 8192 distances in double: 32 MB at a time
EMBED_BLOCK = 5000
#: how many training images (the first ones) samples are compared with; None: the whole split (tests shrink it)
TRAINING_IMAGES: int | None = None
FEATURES_SUFFIX = "train-features.pt"


@torch.no_grad()
def nearest(queries: torch.Tensor, keys: torch.Tensor, k: int = NEIGHBOURS,
            device: str | torch.device = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """Each query's `k` nearest keys, exactly: (distances (Q, k), ascending, double; indices of the
    keys (Q, k)), on the CPU. Every distance is computed on `device` in double precision (single
    on MPS, which has no double), QUERY_BLOCK × KEY_BLOCK at a time, keeping only the k best."""
    device = torch.device(device)
    dtype = torch.float32 if device.type == "mps" else torch.float64
    k = min(k, keys.shape[0])
    if k < 1:
        raise ValueError("no training images to compare with")
    keys = keys.to(device, dtype)
    distances, indices = [torch.empty(0, k, dtype=torch.float64)], [torch.empty(0, k, dtype=torch.int64)]
    for start in range(0, queries.shape[0], QUERY_BLOCK):
        query = queries[start:start + QUERY_BLOCK].to(device, dtype)
        best_d = torch.empty(query.shape[0], 0, dtype=dtype, device=device)
        best_i = torch.empty(query.shape[0], 0, dtype=torch.int64, device=device)
        for first in range(0, keys.shape[0], KEY_BLOCK):
            block_d, block_i = torch.cdist(query, keys[first:first + KEY_BLOCK]).topk(
                min(k, keys.shape[0] - first), dim=1, largest=False)
            best_d, best_i = torch.cat([best_d, block_d], 1), torch.cat([best_i, block_i + first], 1)
            best_d, order = best_d.topk(min(k, best_d.shape[1]), dim=1, largest=False)  # sorted
            best_i = best_i.gather(1, order)
        distances.append(best_d.cpu().double())
        indices.append(best_i.cpu())
    return torch.cat(distances), torch.cat(indices)


def share_below(distances: torch.Tensor, threshold: float) -> float:
    """The share of `distances` strictly below `threshold` (0 when there are none)."""
    return float((distances < threshold).double().mean()) if distances.numel() else 0.0


def held_out_threshold(held_out: torch.Tensor) -> tuple[float, float]:
    """(threshold: the HELD_OUT_PERCENTILE-th percentile of the held-out images' nearest-training
    distances; baseline: the share of them below it, 0.05 but for ties)."""
    threshold = float(torch.quantile(held_out.double(), HELD_OUT_PERCENTILE / 100))
    return threshold, share_below(held_out, threshold)


@dataclass(frozen=True)
class TrainingSet:
    """A classifier's training split as near-copies need it: its images (to show), labels and
    features, and how near the held-out reference images come to it."""

    name: str  # the classifier's (ScoringModel.name)
    images: torch.Tensor = field(repr=False)  # uint8 (N, C, H, W)
    labels: torch.Tensor = field(repr=False)
    features: torch.Tensor = field(repr=False)  # float (N, features)
    held_out: torch.Tensor = field(repr=False)  # each reference image's distance to its nearest training image
    threshold: float
    baseline: float

    def neighbours(self, features: torch.Tensor, k: int = NEIGHBOURS,
                   device: str | torch.device = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
        """(distances, training rows) of each feature vector's `k` nearest training images."""
        return nearest(features, self.features, k, device)

    def memorisation(self, distances: torch.Tensor) -> dict:
        """{ratio, threshold, baseline, samples} of samples whose nearest-training distances are
        `distances`: the share nearer than the threshold, beside the held-out images' own share."""
        return {"ratio": share_below(distances, self.threshold), "threshold": self.threshold,
                "baseline": self.baseline, "samples": int(distances.shape[0])}


_memo: dict[tuple, TrainingSet] = {}
_memo_lock = threading.Lock()


def training_set(scoring: ScoringModel, root: str | Path, progress: Callable[[float, str], None] | None = None,
                 cancel: Callable[[], bool] | None = None, device: str | torch.device = "cpu") -> TrainingSet:
    """The training split of `scoring`'s dataset (under `root`), with its features: from memory, the
    cache, or computed now (with progress, cancellable) and cached. A ValueError for a dataset
    whose training split is not a built-in one (an image folder)."""
    if scoring.dataset not in BUILT_IN:
        raise ValueError(f"near-copies are measured only for the built-in datasets ({', '.join(BUILT_IN)}), "
                         f"whose training split is known; not for {scoring.dataset}")
    key = (scoring.name, TRAINING_IMAGES)
    with _memo_lock:
        if key in _memo:
            return _memo[key]
    images, labels = load_split(scoring.dataset, Path(root), train=True)
    images, labels = images[:TRAINING_IMAGES], labels[:TRAINING_IMAGES]
    features = cached_features(scoring.name, images.shape[0])
    if features is None:
        features = embed(scoring, images, progress, cancel)
        save_features(scoring.name, features)
    held_out = nearest(scoring.reference.points, features, 1, device)[0][:, 0]
    made = TrainingSet(scoring.name, images, labels, features, held_out, *held_out_threshold(held_out))
    with _memo_lock:
        return _memo.setdefault(key, made)


def embed(scoring: ScoringModel, images: torch.Tensor, progress=None, cancel=None) -> torch.Tensor:
    """The classifier's features of uint8 `images`, EMBED_BLOCK at a time, saying how far it is."""
    parts, count = [], images.shape[0]
    for start in range(0, count, EMBED_BLOCK):
        if cancel is not None and cancel():
            raise EvaluationCancelled("Computing the training images' features was cancelled.")
        if progress is not None:
            progress(start / count, f"features of the {count:,} training images (once per classifier): "
                                    f"{start:,} done")
        parts.append(scoring.classifier.embed(scoring.judged(images[start:start + EMBED_BLOCK]))[0])
    return torch.cat(parts)


def features_path(name: str) -> Path:
    return derived_path(name, FEATURES_SUFFIX)


def cached_features(name: str, count: int) -> torch.Tensor | None:
    """The cached features of the classifier `name`'s first `count` training images, or None
    when there are none of that many (or the file cannot be read: they are then made again)."""
    try:
        saved = torch.load(features_path(name), map_location="cpu", weights_only=True)
        if saved["classifier"] == name and saved["features"].shape[0] == count:
            return saved["features"]
    except Exception:  # a missing or damaged cache file is simply made again
        pass
    return None


def save_features(name: str, features: torch.Tensor) -> None:
    """Cache the training features, atomically; a read-only cache only costs the time next time."""
    from workbench.core.atomic import write_with

    try:
        write_with(features_path(name), lambda f: torch.save({"classifier": name, "features": features}, f))
    except OSError:
        pass


def forget() -> None:
    """Drop the training sets kept in this process (tests)."""
    with _memo_lock:
        _memo.clear()
