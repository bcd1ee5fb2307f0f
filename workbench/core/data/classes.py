"""The class labels a conditional run (`condition: class`) trains with: the built-in sets' own
labels, or, for an image folder, one class per subfolder of it (the first folder level under
the chosen folder names an image's class; the names sort into the class numbers).

Labels are one int64 tensor beside the resident images, in the same order, so a batch's labels
are drawn with the batch's own indices.
"""

from __future__ import annotations

from pathlib import Path

import torch

from workbench.core import paths
from workbench.core.config import TrainConfig
from workbench.core.data.datasets import load_split
from workbench.core.data.image_folder import FolderScan, PreparedFolder, scan
from workbench.core.geometry import FOLDER_DATASET

#: the built-in sets' class names, in label order (torchvision's, short)
BUILT_IN_CLASSES = {
    "mnist": [str(d) for d in range(10)],
    "fashion-mnist": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
                      "Bag", "Ankle boot"],
    "kmnist": ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"],
    "cifar10": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"],
}

_labels: dict[tuple, torch.Tensor] = {}  # the last built-in set's labels (tiny beside its images)


def layout_message(folder) -> str:
    """How to lay out a folder for a conditional run: said when it is not laid out so."""
    return (f"condition: class needs the image folder {folder} to hold one subfolder per class, with every "
            f"image inside one of them, for example {Path(folder).name}/cats/001.png and "
            f"{Path(folder).name}/dogs/002.png (at least 2 classes; deeper folders belong to their top "
            f"subfolder). Move the images into class subfolders, or set condition to none.")


def folder_classes(found: FolderScan) -> list[str] | None:
    """The class names of a scanned folder (its top-level subfolders holding images, sorted), or
    None when it is not laid out by class (an image at its top, or fewer than 2 classes)."""
    tops = {name.split("/", 1)[0] if "/" in name else None for name, _size, _mtime in found.files}
    if None in tops or len(tops) < 2:
        return None
    return sorted(tops)


def folder_labels(found: FolderScan, prepared: PreparedFolder, classes: list[str]) -> torch.Tensor:
    """The class number of each prepared image: the scan's files in order, less the skipped ones
    (preparation packs the readable images in file order)."""
    index = {name: i for i, name in enumerate(classes)}
    skipped = set(prepared.skipped)
    labels = [index[name.split("/", 1)[0]] for name, _size, _mtime in found.files if name not in skipped]
    return torch.tensor(labels, dtype=torch.int64)


def class_problem(config: TrainConfig) -> str | None:
    """Why the config's data cannot train with `condition: class`, else None."""
    if config.condition != "class" or config.dataset != FOLDER_DATASET or not config.image_folder.strip():
        return None
    found = scan(config.image_folder)
    if found.files and folder_classes(found) is None:
        return layout_message(found.folder)
    return None


def class_names(config: TrainConfig) -> list[str]:
    """The config's class names in label order ([] when it is not conditional)."""
    if config.condition != "class":
        return []
    if config.dataset != FOLDER_DATASET:
        return list(BUILT_IN_CLASSES[config.dataset])
    found = scan(config.image_folder)
    classes = folder_classes(found)
    if classes is None:
        from workbench.core.data.image_folder import ImageFolderError

        raise ImageFolderError(layout_message(found.folder))
    return classes


def built_in_labels(config: TrainConfig) -> torch.Tensor:
    """The training split's labels of a built-in set, on the CPU, kept for the next run."""
    root = paths.data_dir(config.data_dir or None)
    key = (config.dataset, str(Path(root).expanduser().resolve()))
    if key not in _labels:
        _labels.clear()
        _labels[key] = load_split(config.dataset, root, train=True)[1]
    return _labels[key]
