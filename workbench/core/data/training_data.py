"""The training images of a config, placed where training reads them: the one entry point the
trainer calls, whatever the dataset (built-in through torchvision, or a folder of images)."""

from __future__ import annotations

from collections.abc import Callable

import torch

from workbench.core import paths
from workbench.core.config import TrainConfig
from workbench.core.data.classes import built_in_labels, class_names, class_problem, folder_labels
from workbench.core.data.datasets import load_images, missing_problem
from workbench.core.data.image_folder import (
    FolderScan,
    ImageFolderError,
    PreparationCancelled,
    PreparedFolder,
    no_images_message,
    prepare,
    scan,
    stored_channels,
    too_few_message,
)
from workbench.core.data.placement import kept, place, resident
from workbench.core.events import Notice, Preparing
from workbench.core.geometry import FOLDER_DATASET

__all__ = ["training_images", "training_labels", "prepared_folder", "data_problem", "images_channels",
           "with_images_channels", "PreparationCancelled", "ImageFolderError"]


def data_problem(config: TrainConfig, download: bool = False) -> str | None:
    """Why the config's images cannot train, found before a run is made, in the words training
    would stop with: an image folder missing, empty or holding fewer images than one batch;
    a built-in dataset's files missing where they cannot be downloaded (with `download`, the
    download is tried now); a conditional run's folder not laid out by class. None when training can start;
    files that turn out unreadable are found while preparing."""
    if config.dataset != FOLDER_DATASET:
        return missing_problem(config.dataset, paths.data_dir(config.data_dir or None), download)
    if not config.image_folder.strip():
        return None  # the config's validation says what to give
    try:
        found = scan(config.image_folder)
    except ImageFolderError as e:
        return str(e)
    if not found.files:
        return no_images_message(found.folder)
    if len(found.files) < config.batch_size:
        return too_few_message(found.folder, len(found.files), config.batch_size)
    return class_problem(config)


def images_channels(image_folder: str) -> int | None:
    """3 when any image of the folder is stored in colour, else 1; None when it holds none."""
    if not image_folder.strip():
        return None
    try:
        found = scan(image_folder)
    except ImageFolderError:
        return None
    return stored_channels(found) if found.files else None


def with_images_channels(base: dict, changes: dict) -> dict:
    """The user's `changes` to a config, with the channels of the folder's images when they make
    it a folder run (the dataset or the image folder changed) and leave the channels unchosen."""
    values = base | changes
    if (values.get("dataset") != FOLDER_DATASET or "channels" in changes
            or not {"dataset", "image_folder"} & changes.keys()):
        return changes
    channels = images_channels(str(values.get("image_folder") or ""))
    return changes | {"channels": channels} if channels else changes


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
    readable = prepared.images.shape[0]
    if readable < config.batch_size:
        raise ImageFolderError(too_few_message(found.folder, readable, config.batch_size))
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


def training_labels(config: TrainConfig, device: torch.device) -> tuple[torch.Tensor | None, list[str]]:
    """(int64 labels (N,) on `device`, in the order of `training_images`, and the class names)
    for a conditional config; (None, []) otherwise. Call after `training_images` (a folder's
    labels follow which of its files were readable)."""
    if config.condition != "class":
        return None, []
    classes = class_names(config)
    if config.dataset != FOLDER_DATASET:
        labels = built_in_labels(config)
    else:
        found, prepared = prepared_folder(config, device)
        labels = folder_labels(found, prepared, classes)
    return labels.to(device), classes
