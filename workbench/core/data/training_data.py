"""The training images of a config, placed where training reads them: the one entry point the
trainer calls, whatever the dataset (built-in through torchvision, or a folder of images)."""

from __future__ import annotations

from collections.abc import Callable

import torch

from workbench.core import paths
from workbench.core.config import TrainConfig
from workbench.core.data.datasets import load_images
from workbench.core.data.image_folder import (
    FolderScan,
    ImageFolderError,
    PreparationCancelled,
    PreparedFolder,
    prepare,
    scan,
)
from workbench.core.data.placement import kept, place, resident
from workbench.core.events import Notice, Preparing
from workbench.core.geometry import FOLDER_DATASET

__all__ = ["training_images", "prepared_folder", "PreparationCancelled", "ImageFolderError"]


def training_images(config: TrainConfig, device: torch.device, emit: Callable[[object], None] | None = None,
                    cancel: Callable[[], bool] | None = None) -> torch.Tensor:
    """uint8 images (N, C, S, S) of the config's geometry on `device` (or pinned host memory, see
    `placement`), kept for the next run in this process. A folder reports its preparation as
    Preparing events and skipped files as a Notice; raises DatasetMissing (ImageFolderError for
    a folder) with a message saying what to do, PreparationCancelled when `cancel` says so."""
    emit = emit or (lambda event: None)
    if config.dataset != FOLDER_DATASET:
        return load_images(config.dataset, paths.data_dir(config.data_dir or None), device,
                           size=config.image_size)
    found, prepared = prepared_folder(config, device, emit, cancel)
    message = prepared.skipped_message(found.folder)
    if message:
        emit(Notice(message))
    count = prepared.images.shape[0]
    if count < config.batch_size:
        raise ImageFolderError(f"The image folder {found.folder} has {count} readable image(s), fewer than one "
                               f"batch of {config.batch_size}: add images or lower the batch size.")
    return prepared.images


def prepared_folder(config: TrainConfig, device: torch.device | str, emit: Callable[[object], None] | None = None,
                    cancel: Callable[[], bool] | None = None, keep: bool = True) -> tuple[FolderScan, PreparedFolder]:
    """The config's image folder scanned and prepared at its geometry, placed for `device` and
    kept for this process, so training and the folder's quality classifier share one copy.
    `keep=False` uses the kept copy when it is this one and otherwise prepares a copy of its own
    (from the cache) without replacing what a run in training keeps."""
    emit = emit or (lambda event: None)
    device = torch.device(device)
    found = scan(config.image_folder)
    key = ("folder", str(found.folder), found.key(config.channels, config.image_size), str(device))

    def make():
        prepared = prepare(found, config.channels, config.image_size,
                           progress=lambda fraction, text: emit(Preparing(text, fraction)), cancel=cancel,
                           on_cache_problem=lambda text: emit(Notice(text)))
        prepared.images = place(prepared.images, device)
        return prepared

    if not keep:
        held = kept(key)
        return found, held if held is not None else make()
    return found, resident(key, make)
