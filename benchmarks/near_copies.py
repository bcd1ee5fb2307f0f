"""What the memorisation ratio (near-copies of the training set) reads for images whose answer is
known, with the shipped MNIST classifier: the held-out reference itself (the baseline), other
held-out test digits, training digits themselves (copies), uniform noise, and optionally the
epochs of stored runs.

    python benchmarks/near_copies.py [--samples 2000] [--run RUN_FOLDER:EPOCH ...]

Prints the threshold, the held-out images' median nearest-training distance and a table of the
share of near-copies (Image quality: near-copies of the training set). Run epochs are measured
without storing anything in the run.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import benchmarks_path  # noqa: F401  (lets `python benchmarks/x.py` import the package from a checkout)
import torch

from workbench.core import paths
from workbench.core.data.datasets import load_split
from workbench.core.evaluation.neighbours import training_set
from workbench.core.evaluation.registry import reference_rows, scoring_model
from workbench.core.evaluation.run_neighbours import epoch_neighbours
from workbench.core.store.runs import Run


def nearest_distances(images: torch.Tensor, scoring, training) -> torch.Tensor:
    features = scoring.classifier.embed(scoring.judged(images))[0]
    return training.neighbours(features, k=1)[0][:, 0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--run", action="append", default=[], metavar="RUN_FOLDER:EPOCH",
                        help="a stored run's epoch to measure as well (repeatable)")
    args = parser.parse_args()
    root = paths.data_dir(None)
    scoring = scoring_model("mnist", root)
    training = training_set(scoring, root)
    n = args.samples
    test_images, _ = load_split("mnist", root, train=False)
    others = torch.ones(test_images.shape[0], dtype=torch.bool)
    others[reference_rows(test_images.shape[0])] = False
    train_images = training.images
    pick = torch.randperm(train_images.shape[0], generator=torch.Generator().manual_seed(1))[:n]
    sets = {
        "the held-out reference (the baseline)": training.held_out,
        f"{n:,} other held-out test digits": nearest_distances(test_images[others][:n], scoring, training),
        f"{n:,} training digits themselves (copies)": nearest_distances(train_images[pick], scoring, training),
        "uniform noise": nearest_distances(torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(2)),
                                           scoring, training),
    }
    for spec in args.run:
        folder, _, epoch = spec.rpartition(":")
        found = epoch_neighbours(Run(Path(folder)), int(epoch), n)
        sets[f"{Path(folder).name}, epoch {found.epoch}"] = found.distances[:, 0]
    print(f"classifier {scoring.name} (version {scoring.version}), {train_images.shape[0]:,} training images; "
          f"threshold {training.threshold:.3g}, held-out median nearest distance "
          f"{float(training.held_out.median()):.3g}\n")
    print("| images | near-copies | median nearest distance |")
    print("|---|---:|---:|")
    for name, distances in sets.items():
        ratio = float((distances < training.threshold).double().mean())
        print(f"| {name} | {ratio:.1%} | {float(distances.median()):.3g} |", flush=True)


if __name__ == "__main__":
    main()
