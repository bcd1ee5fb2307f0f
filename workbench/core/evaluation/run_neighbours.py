"""Near-copies in a stored run: one kept epoch's generated samples (the evaluation's fixed latent
points, the very images its scores judge) against the training split (`neighbours`).

The memorisation ratio is stored in the epoch's metrics line beside its scores (`memorisation`),
so the Runs tab can show it; a strip (one class's samples, the nearest the training set first,
each beside its nearest training images) is what the Runs tab opens when a grid sample or a
class histogram bar is clicked. Used by `gan-workbench evaluate --neighbours` and the Runs tab
alike; results are plain Python and numpy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from workbench.core import paths
from workbench.core.data.datasets import BUILT_IN
from workbench.core.evaluation.class_balance import class_name
from workbench.core.evaluation.neighbours import NEIGHBOURS, TrainingSet, training_set
from workbench.core.evaluation.registry import ScoringModel
from workbench.core.evaluation.run_scores import DEFAULT_SAMPLES, mid_epoch_note, scoring_for
from workbench.core.evaluation.scoring import GeneratorEvaluator
from workbench.core.evaluation.stored import MEMORISATION_KEY
from workbench.core.nets.sampling import grid_cell, stored_grid_layout
from workbench.core.store.epoch_checkpoints import checkpoint_for, load_networks
from workbench.core.store.runs import Run, RunLocked

STRIP_SAMPLES = 8

Progress = Callable[[float, str], None] | None
Cancel = Callable[[], bool] | None


@dataclass(frozen=True)
class EpochNeighbours:
    """One epoch's generated samples, their classes and their nearest training images."""

    epoch: int
    mid_epoch: bool  # the latest checkpoint of a run stopped during the next epoch: nothing is stored
    dataset: str
    scoring: ScoringModel
    training: TrainingSet
    images: torch.Tensor  # the samples in [0, 1] at the run's size, (N, C, S, S)
    classes: torch.Tensor  # the classifier's class of each sample
    distances: torch.Tensor  # (N, NEIGHBOURS), ascending
    rows: torch.Tensor  # (N, NEIGHBOURS): their rows in the training split

    def memorisation(self) -> dict:
        """{ratio, threshold, baseline, samples, epoch}: see `neighbours`."""
        return self.training.memorisation(self.distances[:, 0]) | {"epoch": self.epoch}


def epoch_neighbours(run: Run, epoch: int | None = None, samples: int = DEFAULT_SAMPLES, progress: Progress = None,
                     cancel: Cancel = None, device: str = "cpu") -> EpochNeighbours:
    """The samples of one epoch with a checkpoint (latest by default) and their nearest training
    images. CheckpointError for an epoch without a checkpoint, ValueError for a run whose dataset
    has no known training split (an image folder) or no classifier."""
    target = checkpoint_for(run, epoch)
    config, generator, _ = load_networks(run, target)
    reason = unavailable(run, config)
    if reason:
        raise ValueError(reason)
    scoring = scoring_for(config, progress, cancel)
    training = training_set(scoring, paths.data_dir(config.data_dir or None), progress, cancel, device)
    if progress:
        progress(1.0, f"nearest training images of epoch {target.epoch}'s {samples:,} samples")
    images = GeneratorEvaluator(config, scoring, samples).images(generator)
    features, probs = scoring.classifier.embed(scoring.judged(images))
    distances, rows = training.neighbours(features, device=device)
    return EpochNeighbours(target.epoch, target.mid_epoch, config.dataset, scoring, training, images,
                           probs.argmax(1), distances, rows)


def unavailable(run: Run, config=None) -> str | None:
    """Why near-copies cannot be measured for `run` (its dataset has no known training split),
    or None when they can; cheap, so callers ask before anything slow."""
    dataset = (config or run.config()).dataset
    if dataset in BUILT_IN:
        return None
    return (f"near-copies are measured only for the built-in datasets ({', '.join(BUILT_IN)}), whose training "
            f"split is known; run {run.id} trains on {dataset}")


def remember(run: Run, found: EpochNeighbours, store: bool = True) -> dict:
    """The epoch's memorisation, stored in its metrics line (with the classifier's key) unless
    `store` is False or the weights are mid-epoch (then a `note` says so)."""
    result = found.memorisation()
    if found.mid_epoch:
        result["note"] = mid_epoch_note(found.epoch)
    elif store:
        run.update_epoch_metrics(found.epoch, {MEMORISATION_KEY: result | {"classifier_key": found.scoring.name}})
    return result


def run_memorisation(run: Run, epoch: int | None = None, samples: int = DEFAULT_SAMPLES, store: bool = True,
                     progress: Progress = None, cancel: Cancel = None) -> dict:
    """{ratio, threshold, baseline, samples, epoch} of one epoch (latest by default), stored
    with its scores (see `remember`)."""
    return remember(run, epoch_neighbours(run, epoch, samples, progress, cancel), store)


def class_strip(found: EpochNeighbours, klass: int, count: int = STRIP_SAMPLES) -> dict:
    """Up to `count` of the samples the classifier puts in `klass`, the nearest the training set
    first (the likeliest copies), each beside its nearest training images: {epoch, dataset, class,
    class_name, in_class (how many samples it has), samples, memorisation, rows: [row]}, where a
    row is {image (uint8, (H, W) or (H, W, 3)), near_copy, neighbours: [{image, distance, row,
    label, label_name}]}."""
    members = (found.classes == klass).nonzero()[:, 0]
    shown = members[found.distances[members, 0].argsort()][:count]
    return {"epoch": found.epoch, "dataset": found.dataset, "class": int(klass),
            "class_name": class_name(found.dataset, int(klass)),
            "in_class": int(members.shape[0]), "samples": int(found.classes.shape[0]),
            "memorisation": found.memorisation(),
            "rows": [strip_row(found, found.images[i], found.distances[i], found.rows[i]) for i in shown.tolist()]}


def strip_row(found: EpochNeighbours, image: torch.Tensor, distances: torch.Tensor, rows: torch.Tensor) -> dict:
    """One sample beside its nearest training images, as the strip shows it."""
    training = found.training
    neighbours = [{"image": pixels(training.images[r]), "distance": float(d), "row": int(r),
                   "label": int(training.labels[r]), "label_name": class_name(found.dataset, int(training.labels[r]))}
                  for d, r in zip(distances.tolist(), rows.tolist(), strict=True)]
    return {"image": pixels(image), "near_copy": bool(distances[0] < training.threshold), "neighbours": neighbours}


def pixels(image: torch.Tensor) -> np.ndarray:
    """An image (C, H, W), uint8 or in [0, 1], as uint8 (H, W) or (H, W, 3) for showing."""
    if image.dtype != torch.uint8:
        image = image.float().mul(255.0).add_(0.5).clamp_(0, 255).to(torch.uint8)
    return image[0].numpy() if image.shape[0] == 1 else image.permute(1, 2, 0).contiguous().numpy()


def strip_for_class(run: Run, epoch: int | None, klass: int, samples: int = DEFAULT_SAMPLES, store: bool = True,
                    progress: Progress = None, cancel: Cancel = None) -> dict:
    """`class_strip` of one epoch's samples; the epoch's memorisation is stored on the way (see
    `remember`) and a mid-epoch `note` returned."""
    found = epoch_neighbours(run, epoch, samples, progress, cancel)
    return class_strip(found, klass) | _stored(run, found, store)


def strip_for_grid_sample(run: Run, epoch: int, x: int, y: int, samples: int = DEFAULT_SAMPLES,
                          store: bool = True, progress: Progress = None, cancel: Cancel = None) -> dict:
    """The strip of the class the classifier gives the sample at pixel (x, y) of the epoch's stored
    grid, with that sample itself (`clicked`: a strip row with its `index` in the grid) first. A
    ValueError when no sample is there or the grid cannot be read."""
    config = run.config()
    count, across = stored_grid_layout(config.grid_size, len(run.read_info().classes or []))
    cell = grid_cell(read_grid(run, epoch, config.channels), count, config.image_size, x, y, across)
    if cell is None:
        raise ValueError(f"no sample at pixel ({x}, {y}) of epoch {epoch}'s grid")
    index, shown = cell
    found = epoch_neighbours(run, epoch, samples, progress, cancel)
    image = torch.from_numpy(np.array(shown)).reshape(config.image_size, config.image_size, -1).permute(2, 0, 1)
    features, probs = found.scoring.classifier.embed(found.scoring.judged(image[None].contiguous()))
    distances, rows = found.training.neighbours(features, NEIGHBOURS)
    clicked = strip_row(found, image, distances[0], rows[0]) | {"index": index}
    return class_strip(found, int(probs.argmax(1)[0])) | {"clicked": clicked} | _stored(run, found, store)


def read_grid(run: Run, epoch: int, channels: int) -> np.ndarray:
    """The epoch's stored sample grid as uint8, (H, W) or (H, W, 3); a ValueError when it cannot be read."""
    from PIL import Image

    try:
        with Image.open(run.sample_file(epoch)) as image:
            return np.asarray(image.convert("RGB" if channels == 3 else "L"), dtype=np.uint8)
    except OSError as e:
        raise ValueError(f"epoch {epoch}'s sample grid cannot be read: {e}") from None


def _stored(run: Run, found: EpochNeighbours, store: bool) -> dict:
    """A strip stores the epoch's memorisation when it can; a run being trained elsewhere, or
    metrics that need repair, only leave it unstored (the `note` says why)."""
    try:
        note = remember(run, found, store).get("note")
    except (RunLocked, ValueError) as e:
        note = f"the ratio is not stored: {e}"
    return {"note": note} if note else {}
