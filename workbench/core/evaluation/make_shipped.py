"""Make the MNIST feature classifier that ships inside the package, from the real data with a
fixed seed, and record its test accuracy and its reference marks beside it:

    python -m workbench.core.evaluation.make_shipped --data-dir DIR [--marks-only]

writes `mnist-classifier.pt` (loaded with weights_only=True), `mnist-classifier.json` and
`mnist-marks.json` (what real test images spoilt in known ways score with it, on 2,000 images).
`--marks-only` measures the marks of the classifier already there, without training.
"""

from __future__ import annotations

import argparse
import sys
import time

import torch

from workbench.core import paths
from workbench.core.atomic import write_json
from workbench.core.data.datasets import load_split
from workbench.core.evaluation.classifier import (
    as_unit_float,
    load_classifier,
    save_classifier,
    train_classifier,
)
from workbench.core.evaluation.frechet import feature_statistics
from workbench.core.evaluation.marks import SHIPPED_FILE
from workbench.core.evaluation.reference_marks import SAMPLES, marks_object, measure
from workbench.core.evaluation.registry import (
    SHIPPED,
    TRAINING,
    cache_key,
    classifier_meta,
)


def write_marks(model, meta: dict, test_images: torch.Tensor) -> None:
    """Measure the classifier's reference marks and write them beside it."""
    mean, cov = feature_statistics(model.embed(as_unit_float(test_images))[0])
    marks = measure(model, test_images, mean, cov)
    target = SHIPPED["mnist"].with_name(SHIPPED_FILE)
    write_json(target, marks_object(f"{meta['key']}-{meta['id']}", meta.get("version"), marks, SAMPLES))
    print("\n".join(f"{m.name:>28}  {m.score:10.3f}" for m in marks))
    print(f"wrote {target.name}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="folder holding MNIST/raw (default: the app's data folder)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--marks-only", action="store_true", help="only measure the shipped classifier's marks")
    args = parser.parse_args(argv)
    root = paths.data_dir(args.data_dir)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    test_images, test_labels = load_split("mnist", root, train=False)
    if args.marks_only:
        write_marks(*load_classifier(SHIPPED["mnist"]), test_images)
        return 0
    images, labels = load_split("mnist", root, train=True)
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
    write_marks(model, meta, test_images)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
