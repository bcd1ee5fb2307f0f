"""Make the MNIST feature classifier that ships inside the package, from the real data with a
fixed seed, and record its test accuracy beside it:

    python -m workbench.core.evaluation.make_shipped --data-dir DIR

writes `mnist-classifier.pt` (loaded with weights_only=True) and `mnist-classifier.json`.
"""

from __future__ import annotations

import argparse
import sys
import time

import torch

from workbench.core import paths
from workbench.core.atomic import write_json
from workbench.core.data.datasets import load_split
from workbench.core.evaluation.classifier import save_classifier, train_classifier
from workbench.core.evaluation.registry import (
    SHIPPED,
    TRAINING,
    cache_key,
    classifier_meta,
)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="folder holding MNIST/raw (default: the app's data folder)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    root = paths.data_dir(args.data_dir)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    images, labels = load_split("mnist", root, train=True)
    test_images, test_labels = load_split("mnist", root, train=False)
    start = time.perf_counter()
    model = train_classifier(images, labels, seed=args.seed, progress=lambda f, text: print(
        f"\r{f:6.1%} {text}\033[K", end="", file=sys.stderr, flush=True),
        **(TRAINING | {"max_seconds": None}))  # the full schedule, whatever the machine's speed
    seconds = time.perf_counter() - start
    meta = classifier_meta("mnist", cache_key("mnist", root), model, test_images, test_labels, images.shape[0])
    meta |= {"seed": args.seed, "train_seconds": round(seconds, 1), "source": "shipped",
             "training": {"epochs": TRAINING["epochs"], "max_seconds": None}}
    target = SHIPPED["mnist"]
    save_classifier(target, model, meta)
    write_json(target.with_suffix(".json"), meta)
    print(f"\nwrote {target.name}: test accuracy {meta['test_accuracy']:.4f}, trained in {seconds:.0f} s, "
          f"{target.stat().st_size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
