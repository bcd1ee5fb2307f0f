"""The score's reference marks, per dataset: the Fréchet score of real held-out images, and of the
same images blurred (σ 0.5, 1, 2), with one quadrant swapped in from another image, with three
4×4 patches erased on the strokes, elastically deformed, and of uniform noise, on as many images
as evaluation scores (2,000).

    python benchmarks/reference_marks.py [--datasets mnist fashion-mnist kmnist cifar10] [--samples 2000]
                                         [--resized]

Each dataset's classifier is the one scores use (MNIST's shipped one; another's is trained and
cached on first use, which takes minutes). The marks are measured afresh here; MNIST's shipped
ones (`mnist-marks.json`, written by `python -m workbench.core.evaluation.make_shipped`) are
printed beside them, and should agree. `--resized` adds the floor of runs at 32 or 64: real MNIST
training digits unresized, and resized to 32 and to 64 and back to 28 as a run's images are.
"""

from __future__ import annotations

import argparse

import benchmarks_path  # noqa: F401  (lets `python benchmarks/x.py` import the package from a checkout)
import torch

from workbench.core import paths
from workbench.core.data.datasets import load_split, resize_images
from workbench.core.evaluation.marks import format_score, from_json, shipped_marks
from workbench.core.evaluation.reference_marks import measure
from workbench.core.evaluation.registry import scoring_model
from workbench.core.evaluation.scoring import image_scores


def resized_floor(root, samples: int) -> None:
    """The score of real training digits brought back to 28 from a run's other sizes."""
    scoring = scoring_model("mnist", root)
    images, _ = load_split("mnist", root, train=True)
    picked = images[torch.randperm(images.shape[0], generator=torch.Generator().manual_seed(1))[:samples]]
    print(f"\n| real training digits ({samples}) | Fréchet score |\n|---|---:|")
    for size in (None, 32, 64):
        score = image_scores(resize_images(picked, size), scoring)["quality"]  # judged resizes back to 28
        print(f"| {'unresized' if size is None else f'resized to {size} and back'} | {format_score(score)} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="*", default=["mnist"])
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--resized", action="store_true", help="also the floor of runs resized to 32 or 64")
    args = parser.parse_args()
    root = paths.data_dir(None)
    columns, accuracy = {}, {}
    for dataset in args.datasets:
        scoring = scoring_model(dataset, root)
        columns[dataset] = measure(scoring.classifier, scoring.test_images, scoring.test_mean, scoring.test_cov,
                                   samples=args.samples)
        accuracy[dataset] = scoring.test_accuracy
        if dataset == "mnist":
            shipped = shipped_marks()
            if shipped is not None and shipped.get("classifier") == scoring.name:
                columns["mnist (shipped file)"] = from_json(shipped)
    names = list(columns)
    print(f"\n{args.samples} images a mark; classifier accuracy: "
          + ", ".join(f"{d} {a:.2%}" for d, a in accuracy.items() if a is not None))
    print(f"| images | {' | '.join(names)} |\n|---|{'---:|' * len(names)}")
    for i, mark in enumerate(columns[names[0]]):
        print(f"| {mark.name} | " + " | ".join(format_score(columns[n][i].score) for n in names) + " |")
    if args.resized:
        resized_floor(root, args.samples)


if __name__ == "__main__":
    main()
