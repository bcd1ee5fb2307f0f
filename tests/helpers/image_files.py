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


def write_class_folders(folder: Path, classes: int = 3, per_class: int = 24, seed: int = 0,
                        names=None) -> list[str]:
    """One subfolder per class (`names`, else class-a, class-b, …) of `per_class` colour PNGs,
    each its class's `class_pattern`; returns the class names."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    names = list(names or [f"class-{chr(ord('a') + c)}" for c in range(classes)])
    for c, name in enumerate(names):
        (folder / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            Image.fromarray(class_pattern(c, rng).transpose(1, 2, 0)).save(folder / name / f"{i:03d}.png")
    return names


CIFAR_FILES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]


def class_pattern(label: int, rng, size: int = 32) -> np.ndarray:
    """A noisy (3, size, size) uint8 image whose class (0 to 11) shows plainly: bright stripes in
    channel label % 3, horizontal or vertical by (label // 3) % 2, 2 or 4 pixels apart by
    label // 6, over dim noise."""
    image = rng.integers(0, 70, (3, size, size), dtype=np.uint8)
    period = 4 if label < 6 else 8
    stripes = (np.arange(size) % period) < period // 2
    plane = np.broadcast_to(stripes[:, None] if (label // 3) % 2 == 0 else stripes[None, :], (size, size))
    image[label % 3][plane] = 255
    return image


def write_fake_cifar10(root: Path, per_batch: int = 4, seed: int = 0, monkeypatch=None,
                       patterned: bool = False) -> np.ndarray:
    """A small CIFAR-10 in torchvision's layout (cifar-10-batches-py pickles: rows of 1024 red,
    1024 green, 1024 blue bytes): random pixels and labels, or with `patterned` each image its
    label's `class_pattern` (something a classifier can learn). torchvision checks its files'
    MD5s against the real ones, so with `monkeypatch` the class is told this copy's sums.
    Returns the training images as (N, 3, 32, 32) uint8."""
    import torchvision.datasets as tvd

    rng = np.random.default_rng(seed)
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    train = []
    for name in CIFAR_FILES:
        data = rng.integers(0, 256, (per_batch, 3 * 32 * 32), dtype=np.uint8)
        labels = [int(v) for v in rng.integers(0, 10, per_batch)]
        if patterned:
            data = np.stack([class_pattern(c, rng).reshape(-1) for c in labels])
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
