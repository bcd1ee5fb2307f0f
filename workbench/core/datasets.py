"""Datasets through torchvision, held as one uint8 tensor on the training device.

Batches are drawn by a per-epoch permutation on that device and normalized in the batch;
rotation augmentation is batched on the device with nearest-neighbour sampling and black fill,
the semantics of torchvision's `RandomRotation` (a bilinear version changes what GANs learn).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import torch
import torch.nn.functional as F

OFFLINE_ENV = "WORKBENCH_OFFLINE"

#: config name → (torchvision class name, folder torchvision uses under the root)
DATASETS = {
    "mnist": ("MNIST", "MNIST"),
    "fashion-mnist": ("FashionMNIST", "FashionMNIST"),
    "kmnist": ("KMNIST", "KMNIST"),
}


class DatasetMissing(RuntimeError):
    """The dataset is not on disk and could not be downloaded; the message says what to do."""


def raw_folder(name: str, root: Path) -> Path:
    return Path(root) / DATASETS[name][1] / "raw"


def expected_files(name: str) -> list[str]:
    """File names torchvision reads (uncompressed) from the raw folder."""
    import torchvision.datasets as tvd

    cls = getattr(tvd, DATASETS[name][0])
    return [Path(url_name).name.removesuffix(".gz") for url_name, _md5 in cls.resources]


def _missing_message(name: str, root: Path, reason: str) -> str:
    folder = raw_folder(name, root)
    files = ", ".join(expected_files(name))
    return (
        f"The {name} dataset was not found and could not be downloaded ({reason}).\n"
        f"Looked in {folder} for: {files}.\n"
        f"Put those files there (gzipped or not), or point the app at a folder that holds "
        f"{DATASETS[name][1]}/raw/ with --data-dir, the WORKBENCH_DATA_DIR environment variable, "
        f"or the Data folder setting."
    )


_cache: dict[tuple, torch.Tensor] = {}


def load_images(name: str, root: str | os.PathLike, device: torch.device | str = "cpu",
                download: bool | None = None) -> torch.Tensor:
    """The training split as a uint8 tensor (N, 1, 28, 28) on `device`, loaded once per process.

    `download=None` downloads unless `WORKBENCH_OFFLINE` is set.
    """
    if name not in DATASETS:
        raise DatasetMissing(f"Unknown dataset {name!r}; known datasets: {', '.join(DATASETS)}.")
    root = Path(root).expanduser()
    device = torch.device(device)
    key = (name, str(root.resolve()), str(device))
    if key not in _cache:
        _cache.clear()  # keep at most one dataset resident
        _cache[key] = _read(name, root, download).to(device)
    return _cache[key]


def _read(name: str, root: Path, download: bool | None) -> torch.Tensor:
    return load_split(name, root, train=True, download=download)[0]


def load_split(name: str, root: str | os.PathLike, train: bool, download: bool | None = None
               ) -> tuple[torch.Tensor, torch.Tensor]:
    """A split as (uint8 images (N, 1, 28, 28), int64 labels (N,)) on the CPU, through
    torchvision's dataset class; `download=None` downloads unless `WORKBENCH_OFFLINE` is set."""
    import torchvision.datasets as tvd

    if name not in DATASETS:
        raise DatasetMissing(f"Unknown dataset {name!r}; known datasets: {', '.join(DATASETS)}.")
    root = Path(root).expanduser()
    cls = getattr(tvd, DATASETS[name][0])
    if download is None:
        download = not os.environ.get(OFFLINE_ENV)
    try:
        ds = cls(str(root), train=train, download=False)
    except RuntimeError:
        if not download:
            raise DatasetMissing(_missing_message(name, root, "downloading is turned off")) from None
        try:
            ds = cls(str(root), train=train, download=True)
        except Exception as e:  # network errors come in many types
            first_line = (str(e).strip().splitlines() or [type(e).__name__])[0].rstrip(":")
            raise DatasetMissing(_missing_message(name, root, f"download failed: {first_line}")) from None
    except Exception as e:
        raise DatasetMissing(_missing_message(name, root, f"the files could not be read: {e}")) from None
    data = ds.data
    if data.dtype != torch.uint8 or data.dim() != 3:
        raise DatasetMissing(_missing_message(name, root, f"unexpected image tensor {tuple(data.shape)}"))
    return data.unsqueeze(1).contiguous(), torch.as_tensor(ds.targets, dtype=torch.int64)


def files_checksum(name: str, root: str | os.PathLike) -> str:
    """SHA-256 over the dataset's raw files (names and bytes): the key under which anything
    derived from the data (a trained classifier, feature statistics) is cached."""
    import hashlib

    digest = hashlib.sha256()
    folder = raw_folder(name, Path(root).expanduser())
    for file_name in expected_files(name):
        digest.update(file_name.encode())
        try:
            with open(folder / file_name, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    digest.update(chunk)
        except OSError:
            digest.update(b"(missing)")
    return digest.hexdigest()


def rotate_nearest(images: torch.Tensor, degrees: torch.Tensor) -> torch.Tensor:
    """Rotate each image (N, C, H, W) counter-clockwise by its angle in degrees about the
    centre, nearest neighbour, zero fill — torchvision's `rotate` for a whole batch."""
    theta_rad = degrees.to(images.dtype) * (math.pi / 180.0)
    cos, sin = torch.cos(theta_rad), torch.sin(theta_rad)
    zero = torch.zeros_like(cos)
    # affine_grid maps output coordinates to input ones: the inverse rotation.
    theta = torch.stack([torch.stack([cos, -sin, zero], 1), torch.stack([sin, cos, zero], 1)], 1)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="nearest", padding_mode="zeros", align_corners=False)


class BatchSource:
    """Draws normalized, optionally rotated batches from the resident uint8 tensor."""

    def __init__(self, images: torch.Tensor, batch_size: int, image_range: str = "symmetric",
                 rotation_degrees: float = 0.0, max_batches: int = 0):
        self.images = images
        self.batch_size = batch_size
        self.image_range = image_range
        self.rotation_degrees = float(rotation_degrees)
        full = math.ceil(images.shape[0] / batch_size)  # the last partial batch is kept, as a DataLoader does
        self.batches_per_epoch = min(full, max_batches) if max_batches else full

    @property
    def device(self) -> torch.device:
        return self.images.device

    def permutation(self) -> torch.Tensor:
        return torch.randperm(self.images.shape[0], device=self.device)

    def batch(self, permutation: torch.Tensor, index: int) -> torch.Tensor:
        idx = permutation[index * self.batch_size:(index + 1) * self.batch_size]
        x = self.images.index_select(0, idx).float().div_(255.0)
        if self.rotation_degrees > 0:
            d = self.rotation_degrees
            angles = torch.empty(x.shape[0], device=x.device).uniform_(-d, d)
            x = rotate_nearest(x, angles)
        if self.image_range == "symmetric":
            x = x.mul_(2.0).sub_(1.0)
        return x
