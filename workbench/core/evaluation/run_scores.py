"""Evaluating a stored run: any kept epoch checkpoint (latest by default), scores stored in the
run's metrics.jsonl beside that epoch's losses, and the discriminator report stored as
`discriminator.json`. Used by `gan-workbench evaluate` and the Runs tab alike."""

from __future__ import annotations

from collections.abc import Callable

import torch

from workbench.core import paths
from workbench.core.evaluation import marks
from workbench.core.evaluation.discriminator import discriminator_report
from workbench.core.evaluation.registry import ScoringModel, scoring_model
from workbench.core.evaluation.scoring import GeneratorEvaluator, image_scores
from workbench.core.evaluation.stored import REPORT_FILE
from workbench.core.store.best_checkpoint import refresh_best
from workbench.core.store.epoch_checkpoints import (
    checkpoint_for,
    epoch_checkpoints,
    load_networks,
)
from workbench.core.store.runs import Run

DEFAULT_SAMPLES = 2000


def scoring_for(config, progress=None, cancel=None, device="cpu") -> ScoringModel:
    """The scoring model of a run's dataset; a ValueError saying why when there is none (a
    dataset without a classifier, a folder not laid out by class). A built-in set's classifier
    judges its files' size: a run at another size is resized to it (see ScoringModel.judged).
    `device` is where training holds a folder's images, so its classifier reads that copy."""
    from workbench.core.geometry import FOLDER_DATASET, NATIVE

    if config.dataset == FOLDER_DATASET:
        from workbench.core.evaluation.folder_scoring import folder_scoring_model

        return folder_scoring_model(config, device, progress, cancel)
    if config.dataset not in NATIVE:
        raise ValueError(f"quality scores are not available for dataset {config.dataset} (no feature "
                         f"classifier for it)")
    return scoring_model(config.dataset, paths.data_dir(config.data_dir or None), progress, cancel)


def evaluate_run(run: Run, epoch: int | None = None, samples: int = DEFAULT_SAMPLES, store: bool = True,
                 progress: Callable[[float, str], None] | None = None,
                 cancel: Callable[[], bool] | None = None) -> dict:
    """Scores of one epoch's generator ({quality, precision, recall, density, coverage,
    class_balance, confidence, class_hist, eval_samples, classifier_accuracy, classifier_version,
    classifier_key, epoch, classifier: which classifier judged, in words, marks: the reference
    marks around the score}); stored (all but epoch, classifier and marks) in the run unless
    `store` is False or the checkpoint is mid-epoch (its weights belong to no finished epoch). A
    stored score that beats the run's best epoch makes this epoch's checkpoint the kept best
    (best.pt)."""
    target = checkpoint_for(run, epoch)
    config, generator, _ = load_networks(run, target)
    scoring = scoring_for(config, progress, cancel)
    if progress:
        progress(0.0, f"scoring epoch {target.epoch} on {samples} samples")
    scores = GeneratorEvaluator(config, scoring, samples)(generator)
    unstored = {"epoch": target.epoch, "classifier": scoring.describe(config.image_size),
                "marks": marks.as_json(scores["quality"], scoring.marks)}
    if target.mid_epoch:
        unstored["note"] = mid_epoch_note(target.epoch)
    elif store:
        run.update_epoch_metrics(target.epoch, scores)
        with run.lock():
            refresh_best(run)
    return scores | unstored


def mid_epoch_note(epoch: int) -> str:
    """Why a result of the latest checkpoint of a run stopped mid-epoch is not stored."""
    return f"weights of a run stopped during epoch {epoch + 1}; not stored as epoch {epoch}"


def evaluate_all_epochs(run: Run, samples: int = DEFAULT_SAMPLES, progress=None, cancel=None) -> list[dict]:
    """Score every epoch that has a checkpoint, oldest first, storing each."""
    results = []
    epochs = [e for e, c in epoch_checkpoints(run).items() if not c.mid_epoch]
    for i, epoch in enumerate(epochs):
        if cancel and cancel():
            break
        step = (lambda f, text, i=i: progress((i + f) / len(epochs), text)) if progress else None
        results.append(evaluate_run(run, epoch, samples, progress=step, cancel=cancel))
    return results


def run_discriminator_report(run: Run, epoch: int | None = None, store: bool = True, progress=None,
                             cancel=None) -> dict:
    """The discriminator report of one epoch (latest by default), stored as discriminator.json."""
    target = checkpoint_for(run, epoch)
    config, generator, discriminator = load_networks(run, target)
    scoring = scoring_for(config, progress, cancel)
    report = discriminator_report(generator, discriminator, config, scoring.real_images(config.image_size))
    report["epoch"] = target.epoch
    if store:
        from workbench.core.atomic import write_json

        write_json(run.path / REPORT_FILE, report)
    return report


def score_images(images: torch.Tensor, dataset: str, data_dir: str = "") -> dict:
    """Scores of any image set (uint8 or [0, 1] floats) against a dataset's test split."""
    return image_scores(images, scoring_model(dataset, paths.data_dir(data_dir or None)))
