"""How far apart the score puts two recipes whose grids look far apart, with the current feature
classifier and with others (an older version, a candidate layout): a score that compresses the
good end puts them close together.

    python benchmarks/judge_spread.py [--epochs 6] [--seed 1] [--samples 2000]
                                      [--runs RUN_A RUN_B] [--classifier LABEL=FILE ...]

Trains, unless `--runs` names two runs that have it, `cpu-fast` and the `dcgan-small` networks at
batch 64 without rotation for `--epochs` epochs with `--seed` (a checkpoint every epoch, no
scoring during training; in WORKBENCH_HOME, a fresh temporary one unless set), then scores that
epoch of each on the evaluation's fixed latent points with every classifier: the package's
(`current`) and each `--classifier` file (e.g. the shipped file of an older commit, taken out with
`git show COMMIT:workbench/core/evaluation/mnist-classifier.pt > old.pt`). It prints, per
classifier, the two scores, their ratio, and the reference marks measured with that classifier.
"""

from __future__ import annotations

import argparse
import os
import tempfile

import benchmarks_path  # noqa: F401  (lets `python benchmarks/x.py` import the package from a checkout)

from workbench.core import paths
from workbench.core.evaluation.classifier import as_unit_float, load_classifier
from workbench.core.evaluation.frechet import feature_statistics, frechet_distance
from workbench.core.evaluation.marks import format_score
from workbench.core.evaluation.reference_marks import measure
from workbench.core.evaluation.registry import scoring_model
from workbench.core.evaluation.scoring import GeneratorEvaluator
from workbench.core.events import TrainingControl
from workbench.core.presets import preset_config
from workbench.core.store.epoch_checkpoints import checkpoint_for, load_networks
from workbench.core.store.runs import RunStore
from workbench.core.training.trainer import Trainer

RECIPES = (
    ("cpu-fast", "cpu-fast", {}),
    ("dcgan-small b64 r0", "dcgan-small", {"batch_size": 64, "rotation_degrees": 0.0}),
)


def train(name: str, preset: str, changes: dict, epochs: int, seed: int):
    config = preset_config(preset).with_changes(epochs=epochs, seed=seed, keep_checkpoint_every=1, eval_samples=0,
                                                device="cpu", **changes)
    run = RunStore().create(config, name=name)
    Trainer(config, run, progress_interval=5.0).fit(lambda event: None, TrainingControl())
    return run


def images_of(run, epoch: int, samples: int, scoring):
    config, generator, _ = load_networks(run, checkpoint_for(run, epoch))
    return GeneratorEvaluator(config, scoring, samples).images(generator)


def judges(extra: list[str], root) -> list[tuple[str, object, object, object]]:
    """(label, classifier, test mean, test covariance) of the current classifier and each file."""
    current = scoring_model("mnist", root)
    out = [("current", current.classifier, current.test_mean, current.test_cov)]
    for item in extra:
        label, _, path = item.partition("=")
        model, _ = load_classifier(path)
        features, _ = model.embed(as_unit_float(current.test_images))
        out.append((label, model, *feature_statistics(features)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--runs", nargs=2, metavar="RUN", help="two runs already trained: the cpu-fast one first")
    parser.add_argument("--classifier", action="append", default=[], metavar="LABEL=FILE")
    args = parser.parse_args()
    os.environ.setdefault("WORKBENCH_HOME", tempfile.mkdtemp(prefix="wb-spread-"))
    root = paths.data_dir(None)
    if args.runs:
        runs = [RunStore().get(key) for key in args.runs]
    else:
        runs = [train(f"{name} seed {args.seed}", preset, changes, args.epochs, args.seed)
                for name, preset, changes in RECIPES]
    scoring = scoring_model("mnist", root)
    images = [images_of(run, args.epochs, args.samples, scoring) for run in runs]
    names = [name for name, _, _ in RECIPES]
    rows, marks = [], {}
    for label, model, mean, cov in judges(args.classifier, root):
        scores = [frechet_distance(*feature_statistics(model.embed(x)[0]), mean, cov) for x in images]
        rows.append((label, scores))
        marks[label] = measure(model, scoring.test_images, mean, cov, samples=args.samples)
    print(f"\nepoch {args.epochs}, seed {args.seed}, {args.samples} samples; runs {', '.join(r.id for r in runs)}")
    print(f"| classifier | {names[0]} | {names[1]} | {names[0]} ÷ {names[1]} |\n|---|---:|---:|---:|")
    for label, (a, b) in rows:
        print(f"| {label} | {a:.2f} | {b:.2f} | {a / max(b, 1e-9):.2f} |")
    labels = list(marks)
    print(f"\n| reference mark | {' | '.join(labels)} |\n|---|{'---:|' * len(labels)}")
    for i, mark in enumerate(marks[labels[0]]):
        print(f"| {mark.name} | " + " | ".join(format_score(marks[label][i].score) for label in labels) + " |")


if __name__ == "__main__":
    main()
