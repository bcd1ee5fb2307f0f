"""Image files and a fake CIFAR-10 written by the tests (nothing is downloaded or committed)."""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

import numpy as np


def write_images(folder: Path, count: int, size=(20, 16), seed: int = 0, kinds=("png", "jpg"),
                 modes=("RGB", "L")) -> list[Path]:
    """`count` random-coloured images cycling through file kinds, modes and sizes (each one a
    little wider than the last), half of them in a subfolder."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    written = []
    for i in range(count):
        w, h = size[0] + i % 5, size[1] + i % 3
        mode = modes[i % len(modes)]
        shape = (h, w, 3) if mode == "RGB" else (h, w)
        image = Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8))
        kind = kinds[i % len(kinds)]
        path = folder / ("sub" if i % 2 else "") / f"img-{i:04d}.{kind}"
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(path, quality=95) if kind == "jpg" else image.save(path)
        written.append(path)
    return written


CIFAR_FILES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]


def write_fake_cifar10(root: Path, per_batch: int = 4, seed: int = 0, monkeypatch=None) -> np.ndarray:
    """A small CIFAR-10 in torchvision's layout (cifar-10-batches-py pickles: rows of 1024 red,
    1024 green, 1024 blue bytes). torchvision checks its files' MD5s against the real ones, so
    with `monkeypatch` the class is told this copy's sums. Returns the training images as
    (N, 3, 32, 32) uint8."""
    import torchvision.datasets as tvd

    rng = np.random.default_rng(seed)
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    train = []
    for name in CIFAR_FILES:
        data = rng.integers(0, 256, (per_batch, 3 * 32 * 32), dtype=np.uint8)
        labels = [int(v) for v in rng.integers(0, 10, per_batch)]
        with open(folder / name, "wb") as f:
            pickle.dump({"data": data, "labels": labels, "batch_label": name}, f)
        if name != "test_batch":
            train.append(data)
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({"label_names": [f"class{i}" for i in range(10)]}, f)
    if monkeypatch is not None:
        def md5(name):
            return hashlib.md5((folder / name).read_bytes()).hexdigest()

        monkeypatch.setattr(tvd.CIFAR10, "train_list", [[n, md5(n)] for n in CIFAR_FILES[:5]])
        monkeypatch.setattr(tvd.CIFAR10, "test_list", [["test_batch", md5("test_batch")]])
        monkeypatch.setattr(tvd.CIFAR10, "meta", {"filename": "batches.meta", "key": "label_names",
                                                   "md5": md5("batches.meta")})
    return np.concatenate(train).reshape(-1, 3, 32, 32)
