"""What scoring an epoch costs, part by part: drawing the samples, the classifier's features with
the Fréchet score and class balance, and precision, recall, density and coverage against the
reference features (the generated samples' own neighbour radii and one pass over the
generated-to-real distances). The reference side (its radii) is made once per process, when the
scoring model is first needed, and is timed apart.

    WORKBENCH_DATA_DIR=<mnist root> python benchmarks/scoring_cost.py [--samples 2000] [--repeat 7]

The generator is `cpu-fast`'s, untrained: the cost does not depend on what it draws. Prints
the median and the fastest of the repeats, and the load average, since a shared machine slows
every part alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import benchmarks_path  # noqa: F401  (lets `python benchmarks/x.py` import the package from a checkout)
import torch

from workbench.core import paths
from workbench.core.evaluation import registry
from workbench.core.evaluation.frechet import feature_statistics, frechet_distance
from workbench.core.evaluation.manifold import RealManifold
from workbench.core.evaluation.scoring import GeneratorEvaluator, image_scores
from workbench.core.nets.models import build_generator
from workbench.core.presets import preset_config


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    os.environ.setdefault("WORKBENCH_HOME", tempfile.mkdtemp(prefix="wb-scoring-"))
    config = preset_config("cpu-fast").with_changes(device="cpu", eval_samples=args.samples)
    scoring = registry.scoring_model("mnist", paths.data_dir())
    evaluator = GeneratorEvaluator(config, scoring, args.samples)
    generator = build_generator(config)
    images = evaluator.images(generator)
    features, _ = scoring.classifier.embed(scoring.judged(images))

    def features_and_frechet():
        f, _ = scoring.classifier.embed(scoring.judged(images))
        frechet_distance(*feature_statistics(f), scoring.test_mean, scoring.test_cov)

    rows = [
        ("reference radii, once per process", timed(lambda: RealManifold.of(scoring.reference.points), args.repeat)),
        ("samples drawn", timed(lambda: evaluator.images(generator), args.repeat)),
        ("features, Fréchet score, class balance", timed(features_and_frechet, args.repeat)),
        ("precision, recall, density, coverage", timed(lambda: scoring.reference.scores(features), args.repeat)),
        ("the whole epoch's scoring", timed(lambda: evaluator(generator), args.repeat)),
        ("of which image_scores", timed(lambda: image_scores(images, scoring), args.repeat)),
    ]
    print(f"{args.samples} samples against {scoring.reference.points.shape[0]} reference features, "
          f"{torch.get_num_threads()} torch threads, load average {os.getloadavg()[0]:.1f} at the end")
    print("| part | median s | fastest s |\n|---|---:|---:|")
    for name, seconds in rows:
        print(f"| {name} | {statistics.median(seconds):.2f} | {min(seconds):.2f} |")


if __name__ == "__main__":
    main()
