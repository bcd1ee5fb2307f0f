"""Datasets through torchvision, held as one uint8 tensor (N, C, S, S) where training reads it.

The greyscale sets (MNIST-like) and CIFAR-10 come through torchvision's classes, resized once
to the run's image size. Batches are drawn by a per-epoch permutation and normalized in the
batch on the training device; rotation augmentation is batched there with nearest-neighbour
sampling and black fill, the semantics of torchvision's `RandomRotation` (a bilinear version
changes what GANs learn). A folder of the user's images is `workbench.core.data.image_folder`.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import torch
import torch.nn.functional as F

OFFLINE_ENV = "WORKBENCH_OFFLINE"

#: config name → (torchvision class name, folder torchvision uses under the root): greyscale
#: 28×28 sets in the IDX format (the ones with a feature classifier)
DATASETS = {
    "mnist": ("MNIST", "MNIST"),
    "fashion-mnist": ("FashionMNIST", "FashionMNIST"),
    "kmnist": ("KMNIST", "KMNIST"),
}
#: colour sets, stored as torchvision's pickled batches
COLOUR_DATASETS = {"cifar10": ("CIFAR10", "cifar-10-batches-py")}
BUILT_IN = {**DATASETS, **COLOUR_DATASETS}


class DatasetMissing(RuntimeError):
    """The dataset is not on disk and could not be downloaded; the message says what to do."""


def raw_folder(name: str, root: Path) -> Path:
    """The folder torchvision reads a dataset's files from."""
    if name in COLOUR_DATASETS:
        return Path(root) / COLOUR_DATASETS[name][1]
    return Path(root) / DATASETS[name][1] / "raw"


def expected_files(name: str) -> list[str]:
    """File names torchvision reads (uncompressed) from the raw folder."""
    import torchvision.datasets as tvd

    cls = getattr(tvd, BUILT_IN[name][0])
    if name in COLOUR_DATASETS:
        return [file_name for file_name, _md5 in cls.train_list + cls.test_list] + [cls.meta["filename"]]
    return [Path(url_name).name.removesuffix(".gz") for url_name, _md5 in cls.resources]


def _missing_message(name: str, root: Path, reason: str) -> str:
    folder = raw_folder(name, root)
    files = ", ".join(expected_files(name))
    if name in COLOUR_DATASETS:
        how, holds = "(unpacked from cifar-10-python.tar.gz)", f"{COLOUR_DATASETS[name][1]}/"
    else:
        how, holds = "(gzipped or not)", f"{DATASETS[name][1]}/raw/"
    return (
        f"The {name} dataset was not found and could not be downloaded ({reason}).\n"
        f"Looked in {folder} for: {files}.\n"
        f"Put those files there {how}, or point the app at a folder that holds "
        f"{holds} with --data-dir, the WORKBENCH_DATA_DIR environment variable, "
        f"or the Data folder setting."
    )


def missing_problem(name: str, root: str | os.PathLike, download: bool | None = None) -> str | None:
    """What loading the dataset would stop with, found before anything is loaded: its files are
    missing and downloading is off (`WORKBENCH_OFFLINE`), or, with `download`, the download
    failed. None when the files are there, or may still be downloaded."""
    root = Path(root).expanduser()
    folder = raw_folder(name, root)
    if all((folder / file_name).is_file() for file_name in expected_files(name)):
        return None
    if os.environ.get(OFFLINE_ENV):
        return _missing_message(name, root, "downloading is turned off")
    if download:
        try:
            load_split(name, root, train=True, download=True)
        except DatasetMissing as e:
            return str(e)
    return None


def load_images(name: str, root: str | os.PathLike, device: torch.device | str = "cpu",
                download: bool | None = None, size: int | None = None) -> torch.Tensor:
    """The training split as a uint8 tensor (N, C, S, S) placed for training on `device`
    (see `placement`), resized to `size` once; loaded once per process.

    `download=None` downloads unless `WORKBENCH_OFFLINE` is set.
    """
    from workbench.core.data.placement import place, resident

    if name not in BUILT_IN:
        raise DatasetMissing(f"Unknown dataset {name!r}; known datasets: {', '.join(BUILT_IN)}.")
    root = Path(root).expanduser()
    device = torch.device(device)
    key = (name, str(root.resolve()), size, str(device))
    return resident(key, lambda: place(resize_images(_read(name, root, download), size), device))


def _read(name: str, root: Path, download: bool | None) -> torch.Tensor:
    return load_split(name, root, train=True, download=download)[0]


def resize_images(images: torch.Tensor, size: int | None, chunk: int = 2048) -> torch.Tensor:
    """Square uint8 images (N, C, H, H) at `size` (bilinear, antialiased, rounded), made chunk
    by chunk so no float copy of the whole set is ever held; the same tensor when the size fits."""
    if not size or images.shape[-1] == size:
        return images
    out = torch.empty((images.shape[0], images.shape[1], size, size), dtype=torch.uint8)
    for i in range(0, images.shape[0], chunk):
        x = F.interpolate(images[i:i + chunk].float(), size=(size, size), mode="bilinear", antialias=True,
                          align_corners=False)
        out[i:i + chunk] = x.round_().clamp_(0, 255).to(torch.uint8)
    return out


def load_split(name: str, root: str | os.PathLike, train: bool, download: bool | None = None
               ) -> tuple[torch.Tensor, torch.Tensor]:
    """A split as (uint8 images (N, C, H, W), int64 labels (N,)) on the CPU, through
    torchvision's dataset class; `download=None` downloads unless `WORKBENCH_OFFLINE` is set."""
    import torchvision.datasets as tvd

    if name not in BUILT_IN:
        raise DatasetMissing(f"Unknown dataset {name!r}; known datasets: {', '.join(BUILT_IN)}.")
    root = Path(root).expanduser()
    cls = getattr(tvd, BUILT_IN[name][0])
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
    data = torch.as_tensor(ds.data)
    if name in COLOUR_DATASETS and data.dtype == torch.uint8 and data.dim() == 4 and data.shape[-1] == 3:
        data = data.permute(0, 3, 1, 2)  # torchvision keeps CIFAR as (N, H, W, C)
    elif data.dtype == torch.uint8 and data.dim() == 3:
        data = data.unsqueeze(1)
    else:
        raise DatasetMissing(_missing_message(name, root, f"unexpected image tensor {tuple(data.shape)}"))
    return data.contiguous(), torch.as_tensor(ds.targets, dtype=torch.int64)


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
    """Draws normalized, optionally rotated batches from the resident uint8 tensor.

    The images live on the training device, or in pinned host memory when they do not fit
    there (`placement`): then each batch is gathered into a pinned buffer and copied without
    blocking; PyTorch's pinned allocator keeps a buffer until its copy is done, so nothing here
    waits for the device."""

    def __init__(self, images: torch.Tensor, batch_size: int, image_range: str = "symmetric",
                 rotation_degrees: float = 0.0, max_batches: int = 0, device: torch.device | str | None = None,
                 labels: torch.Tensor | None = None):
        self.images = images
        self.labels = labels  # a conditional run's int64 labels (N,), on the training device
        self._device = torch.device(device) if device is not None else images.device
        self.batch_size = batch_size
        self.image_range = image_range
        self.rotation_degrees = float(rotation_degrees)
        full = math.ceil(images.shape[0] / batch_size)  # the last partial batch is kept, as a DataLoader does
        self.batches_per_epoch = min(full, max_batches) if max_batches else full

    @property
    def device(self) -> torch.device:
        """Where batches (and the per-batch statistics) are made: the training device."""
        return self._device

    def permutation(self) -> torch.Tensor:
        return torch.randperm(self.images.shape[0], device=self.images.device)

    def batch(self, permutation: torch.Tensor, index: int) -> torch.Tensor:
        idx = permutation[index * self.batch_size:(index + 1) * self.batch_size]
        x = self._gather(idx.to(self.images.device)).float().div_(255.0)
        if self.rotation_degrees > 0:
            d = self.rotation_degrees
            angles = torch.empty(x.shape[0], device=x.device).uniform_(-d, d)
            x = rotate_nearest(x, angles)
        if self.image_range == "symmetric":
            x = x.mul_(2.0).sub_(1.0)
        return x

    def batch_labels(self, permutation: torch.Tensor, index: int) -> torch.Tensor | None:
        """The labels of `batch(permutation, index)`'s images (None without labels)."""
        if self.labels is None:
            return None
        idx = permutation[index * self.batch_size:(index + 1) * self.batch_size]
        return self.labels.index_select(0, idx.to(self.labels.device))

    def _gather(self, idx: torch.Tensor) -> torch.Tensor:
        """The uint8 images at `idx`, on the training device."""
        if self.images.device == self._device:
            return self.images.index_select(0, idx)
        staging = torch.empty((idx.shape[0], *self.images.shape[1:]), dtype=torch.uint8,
                              pin_memory=self._device.type == "cuda")
        torch.index_select(self.images, 0, idx, out=staging)
        return staging.to(self._device, non_blocking=True)
