"""The feature classifier: a small CNN trained on a dataset's training split. Its 128 features
are the space the Fréchet score is measured in, and its predictions give the class balance of
generated images. Small on purpose: it trains in a few minutes on two CPU cores and its weights
stay under 1 MB. Colour photographs (CIFAR-10) get one more block and flipped, shifted training
images, which a 28×28 digit needs neither of.

The features keep the layout of the last feature map (where each stroke is), not only which
strokes are present: a 1×1 convolution narrows the map to a few channels, and a dense layer reads
it, cell by cell, into the 128 features. Global average pooling (classifier version 2 and
before) kept the strokes but not where they were, and so read broken or misplaced strokes as
nearly as good as whole ones.
"""

from __future__ import annotations

import io
import math
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from workbench.core.atomic import write_bytes
from workbench.core.evaluation.versions import CLASSIFIER_VERSION  # noqa: F401  (read here by callers)

FEATURES = 128
#: channels the last map is narrowed to before the dense layer reads it
MAP_CHANNELS = 16
#: the side of the grid the narrowed map is averaged to (the 7×7 of a 28×28 image, as it is)
MAP_GRID = 7
FORMAT = "gan-workbench-classifier"
#: how the features are read from the last map: "map" (kept layout) or "pooled" (version 2)
EMBEDDINGS = ("map", "pooled")


class EvaluationCancelled(RuntimeError):
    """The user cancelled a long evaluation step (classifier training, an evaluation)."""


class FeatureClassifier(nn.Module):
    """Three conv blocks (32, 64, 128 channels), `extra_blocks` more of 128 at the last size,
    then the features: with `embedding` "map", a 1×1 convolution to MAP_CHANNELS, the map
    averaged to MAP_GRID×MAP_GRID (a no-op at 28×28), flattened and read by a dense layer with
    batch norm and ReLU → 128 features; with "pooled" (the version 2 layout, kept to read older
    files), global average pooling → 128 features. Then class logits. Input: images in [0, 1],
    shape (N, channels, S, S), any S divisible by 4 (28 for the digit sets)."""

    def __init__(self, classes: int = 10, channels: int = 1, extra_blocks: int = 0, embedding: str = "map"):
        super().__init__()
        if embedding not in EMBEDDINGS:
            raise ValueError(f"unknown embedding {embedding!r}; known: {', '.join(EMBEDDINGS)}")

        def block(cin, cout):
            return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True)]

        deeper = [layer for _ in range(extra_blocks) for layer in block(FEATURES, FEATURES)]
        if embedding == "map":
            read = [nn.Conv2d(FEATURES, MAP_CHANNELS, 1, bias=False), nn.BatchNorm2d(MAP_CHANNELS), nn.ReLU(True),
                    nn.AdaptiveAvgPool2d(MAP_GRID), nn.Flatten(),
                    nn.Linear(MAP_CHANNELS * MAP_GRID * MAP_GRID, FEATURES, bias=False),
                    nn.BatchNorm1d(FEATURES), nn.ReLU(True)]
        else:
            read = [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        self.embedding = embedding
        self.features = nn.Sequential(  # the layer indices of extra_blocks=0 are the shipped file's keys
            *block(channels, 32), nn.MaxPool2d(2),
            *block(32, 64), nn.MaxPool2d(2),
            *block(64, FEATURES), *deeper, *read,
        )
        self.head = nn.Linear(FEATURES, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))

    @torch.no_grad()
    def embed(self, images: torch.Tensor, batch_size: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
        """(features (N, 128), class probabilities (N, classes)) for float images in [0, 1]."""
        was_training = self.training
        self.eval()
        feats, probs = [], []
        for start in range(0, images.shape[0], batch_size):
            f = self.features(images[start:start + batch_size])
            feats.append(f)
            probs.append(torch.softmax(self.head(f), dim=1))
        self.train(was_training)
        return torch.cat(feats), torch.cat(probs)


def reinitialise(model: nn.Module, generator: torch.Generator) -> None:
    """PyTorch's default initialisation, drawn from `generator`: training a classifier must not
    touch the global random stream, which a run being trained (maybe in another thread) uses."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_uniform_(m.weight, a=math.sqrt(5), generator=generator)
                if m.bias is not None:
                    bound = 1 / math.sqrt(nn.init._calculate_fan_in_and_fan_out(m.weight)[0])
                    nn.init.uniform_(m.bias, -bound, bound, generator=generator)
            elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                m.reset_parameters()  # ones, zeros and fresh running statistics: no randomness


def as_unit_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 images → float in [0, 1]; float images pass through."""
    return images.float().div_(255.0) if images.dtype == torch.uint8 else images.float()


def shifted_and_flipped(images: torch.Tensor, generator: torch.Generator, shift: int = 2) -> torch.Tensor:
    """Each image mirrored left-right at random and moved by up to `shift` pixels each way
    (zero fill), drawn from `generator`: CIFAR's usual augmentation, with the small shift that
    suits a schedule of a few epochs."""
    n, _, h, w = images.shape
    flip = torch.rand(n, generator=generator) < 0.5
    images = torch.where(flip[:, None, None, None], images.flip(3), images)
    padded = F.pad(images, (shift, shift, shift, shift))
    dy, dx = torch.randint(0, 2 * shift + 1, (2, n), generator=generator)
    rows = (dy[:, None] + torch.arange(h))[:, :, None]
    cols = (dx[:, None] + torch.arange(w))[:, None, :]
    return padded[torch.arange(n)[:, None, None], :, rows, cols].permute(0, 3, 1, 2)  # (n, h, w, c) → NCHW


def train_classifier(images: torch.Tensor, labels: torch.Tensor, *, classes: int = 10, epochs: int = 3,
                     batch_size: int = 128, lr: float = 3e-3, seed: int = 0, max_seconds: float | None = None,
                     extra_blocks: int = 0, augment: bool = False, indices: torch.Tensor | None = None,
                     progress: Callable[[float, str], None] | None = None,
                     cancel: Callable[[], bool] | None = None) -> FeatureClassifier:
    """Train on uint8 images (N, C, H, W) with Adam (only the rows `indices` when given, so a
    held-out part of one tensor needs no copy). The learning rate warms up, then follows a
    cosine to zero over whichever runs out first, the steps or `max_seconds`, so a slow machine
    still ends with an annealed model instead of one cut off mid-schedule. `progress(fraction,
    text)` is called a few times a second; `cancel()` returning True raises EvaluationCancelled."""
    generator = torch.Generator().manual_seed(seed)
    with torch.device("meta"):
        model = FeatureClassifier(classes, images.shape[1], extra_blocks)
    model = model.to_empty(device="cpu")
    reinitialise(model, generator)
    rows = torch.arange(images.shape[0]) if indices is None else indices
    per_epoch = -(-rows.shape[0] // batch_size)
    total = per_epoch * epochs
    warmup = max(1, total // 30)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    start, last_report = time.perf_counter(), 0.0  # both reports and `elapsed` count from the start
    step, done = 0, 0.0
    model.train()
    while done < 1.0:
        order = rows[torch.randperm(rows.shape[0], generator=generator)]
        for b in range(per_epoch):
            elapsed = time.perf_counter() - start
            done = max(step / total, elapsed / max_seconds if max_seconds else 0.0)
            if done >= 1.0:
                break
            rate = lr * min(1.0, (step + 1) / warmup) * 0.5 * (1.0 + math.cos(math.pi * done))
            for group in optimizer.param_groups:
                group["lr"] = rate
            idx = order[b * batch_size:(b + 1) * batch_size]
            if idx.shape[0] < 2:  # batch norm of the features needs two images; one left over is skipped
                step += 1
                continue
            optimizer.zero_grad(set_to_none=True)
            batch = as_unit_float(images[idx])
            loss = loss_fn(model(shifted_and_flipped(batch, generator) if augment else batch), labels[idx])
            loss.backward()
            optimizer.step()
            step += 1
            if cancel is not None and cancel():
                raise EvaluationCancelled("Classifier training was cancelled.")
            if progress is not None and elapsed - last_report > 0.25:
                progress(done, f"training the feature classifier: step {step}/{total}, loss {loss.item():.3f}")
                last_report = elapsed
    model.eval()
    return model


@torch.no_grad()
def accuracy(model: FeatureClassifier, images: torch.Tensor, labels: torch.Tensor) -> float:
    _, probs = model.embed(as_unit_float(images))
    return float((probs.argmax(1) == labels).float().mean())


def save_classifier(path: Path, model: FeatureClassifier, meta: dict) -> None:
    buffer = io.BytesIO()
    torch.save({"format": FORMAT, "meta": dict(meta), "state_dict": model.state_dict()}, buffer)
    write_bytes(Path(path), buffer.getvalue())


def load_classifier(path: Path) -> tuple[FeatureClassifier, dict]:
    """Load with `weights_only=True`; a file that is not ours raises ValueError."""
    state = torch.load(Path(path), map_location="cpu", weights_only=True)
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{Path(path).name} is not a GAN Workbench classifier")
    meta = state["meta"]
    with torch.device("meta"):  # no random initial weights: see reinitialise
        model = FeatureClassifier(int(meta.get("classes", 10)), int(meta.get("channels", 1)),
                                  int(meta.get("extra_blocks", 0)), meta.get("embedding", "pooled"))
    model = model.to_empty(device="cpu")
    try:
        model.load_state_dict(state["state_dict"])
    except RuntimeError as e:  # weights of another layout
        raise ValueError(f"{Path(path).name} does not match its recorded layout: {e}") from None
    model.eval()
    return model, meta
