"""Quality scores for a folder of the user's images, when the folder says what its images are.

A score needs a classifier, and a classifier needs classes: a folder laid out with one
subfolder per class (at least MIN_CLASSES of them, each with at least MIN_IMAGES_PER_CLASS
readable images, no images loose beside them) gets one trained on it like the built-in sets',
at the run's channels and size, from the same prepared images training reads. A held-out part
of each class (TEST_SHARE, at most MAX_TEST_IMAGES in all, drawn with a fixed seed) gives its
accuracy and the reference statistics the Fréchet score compares with. It is cached under the
prepared images' key (the folder's file list, sizes and mtimes, the channels and the size) and
the classifier version. Any other folder has no score, and `NotScorable` says why.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from workbench.core import words
from workbench.core.evaluation.classifier import (
    EvaluationCancelled,
    save_classifier,
    train_classifier,
)
from workbench.core.evaluation.registry import (
    ScoringModel,
    cache_path,
    cached_classifier,
    classifier_meta,
    memoised,
    scoring_from,
)
from workbench.core.evaluation.versions import FOLDER_CLASSIFIER_VERSION

MIN_CLASSES = 2
MIN_IMAGES_PER_CLASS = 50  # a fifth held out: at least 10 a class to check the classifier on
TEST_SHARE = 0.2
MAX_TEST_IMAGES = 5000
SPLIT_SEED = 0
#: a few epochs, at least `min_steps` batches however small the folder, at most ~2.5 minutes
FOLDER_TRAINING = {"epochs": 3, "min_steps": 300, "max_seconds": 150.0}
LAYOUT_HINT = (f"a folder is scored when it holds one subfolder per class (at least {MIN_CLASSES} classes of "
               f"at least {MIN_IMAGES_PER_CLASS} images each, no images beside them)")


class NotScorable(ValueError):
    """The folder is not laid out by class; the message says what is missing."""


def _not_scorable(folder, detail: str) -> NotScorable:
    return NotScorable(f"quality scores are not available for dataset folder {folder}: {detail}; {LAYOUT_HINT}")


def class_layout(found) -> tuple[list[str], list[int]]:
    """(class names: the first-level subfolders, sorted; each file's class index) of a folder
    scan; NotScorable when the files are not laid out by class."""
    loose = [name for name, _, _ in found.files if "/" not in name]
    if loose:
        raise _not_scorable(found.folder, f"{words.count(len(loose), 'image')} {'lies' if len(loose) == 1 else 'lie'} "
                                             f"directly in it (e.g. {loose[0]})")
    names = sorted({name.split("/", 1)[0] for name, _, _ in found.files})
    if len(names) < MIN_CLASSES:
        raise _not_scorable(found.folder, f"it has {words.count(len(names), 'class subfolder')}")
    index = {name: i for i, name in enumerate(names)}
    return names, [index[name.split("/", 1)[0]] for name, _, _ in found.files]


def _check_counts(found, names: list[str], labels: list[int], what: str) -> None:
    counts = torch.bincount(torch.tensor(labels, dtype=torch.int64), minlength=len(names)).tolist()
    few = [(n, c) for n, c in zip(names, counts) if c < MIN_IMAGES_PER_CLASS]
    if few:
        shown = ", ".join(f"{n} ({c})" for n, c in few[:5]) + (", …" if len(few) > 5 else "")
        raise _not_scorable(found.folder, f"class subfolders with fewer than {MIN_IMAGES_PER_CLASS} {what}: {shown}")


def held_out_split(labels: torch.Tensor, classes: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(training rows, held-out rows): TEST_SHARE of every class (at least one image each),
    scaled down so at most MAX_TEST_IMAGES are held out; the same rows every time."""
    generator = torch.Generator().manual_seed(SPLIT_SEED)
    share = min(TEST_SHARE, MAX_TEST_IMAGES / max(labels.shape[0], 1))
    train, test = [], []
    for c in range(classes):
        rows = torch.nonzero(labels == c).flatten()
        rows = rows[torch.randperm(rows.shape[0], generator=generator)]
        held = max(1, int(rows.shape[0] * share))
        test.append(rows[:held])
        train.append(rows[held:])
    return torch.cat(train).sort().values, torch.cat(test).sort().values


def folder_scoring_model(config, device="cpu", progress: Callable[[float, str], None] | None = None,
                         cancel: Callable[[], bool] | None = None) -> ScoringModel:
    """The scoring model of a config's image folder (trained now, with progress and cancel, or
    from the cache); NotScorable when the folder is not laid out by class, ImageFolderError when
    it cannot be read."""
    from workbench.core.data.image_folder import PreparationCancelled, scan
    from workbench.core.data.training_data import prepared_folder
    from workbench.core.events import Preparing

    found = scan(config.image_folder)
    names, file_labels = class_layout(found)
    _check_counts(found, names, file_labels, "image files")  # before anything is decoded
    key = f"folder-v{FOLDER_CLASSIFIER_VERSION}-{found.key(config.channels, config.image_size)}"

    def make() -> ScoringModel:
        def emit(event):
            if progress is not None and isinstance(event, Preparing):
                progress(event.fraction, event.message)

        try:
            _, prepared = prepared_folder(config, device, emit, cancel, keep=False)
        except PreparationCancelled:
            raise EvaluationCancelled("Preparing the image folder was cancelled.") from None
        skipped = set(prepared.skipped)
        readable = [label for (name, _, _), label in zip(found.files, file_labels) if name not in skipped]
        _check_counts(found, names, readable, "readable images")
        labels = torch.tensor(readable, dtype=torch.int64)
        train_rows, test_rows = held_out_split(labels, len(names))
        images = prepared.images  # the copy training reads: in host memory, or on its GPU
        test_images, test_labels = images[test_rows.to(images.device)].cpu(), labels[test_rows]
        classifier, meta = _classifier(key, images, labels, train_rows, test_images, test_labels, names,
                                       str(found.folder), progress, cancel)
        return scoring_from("folder", key, classifier, meta, test_images, progress, cancel, test_labels)

    return memoised(key, make)


def _classifier(key, images, labels, train_rows, test_images, test_labels, names, folder, progress, cancel):
    cached = cached_classifier(key)
    if cached is not None:
        return cached
    if progress:
        progress(0.0, f"training a feature classifier on the image folder's {len(names)} classes (once; cached "
                      f"afterwards)")
    training = dict(FOLDER_TRAINING)
    min_steps = training.pop("min_steps")
    per_epoch = math.ceil(train_rows.shape[0] / 128)
    training["epochs"] = max(training["epochs"], math.ceil(min_steps / per_epoch))
    model = train_classifier(images.cpu(), labels, classes=len(names), indices=train_rows, progress=progress,
                             cancel=cancel, **training)
    meta = classifier_meta("folder", key, model, test_images, test_labels, train_rows.shape[0],
                           FOLDER_CLASSIFIER_VERSION, training)
    meta |= {"class_names": names, "test_images": int(test_images.shape[0]), "folder": folder}
    save_classifier(cache_path(key), model, meta)
    return model, meta
