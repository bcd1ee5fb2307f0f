"""What the scores read for images whose quality is known: real training digits, the same blurred,
a generator collapsed onto one digit (only ones; 200 sevens, each drawn 10 times) and uniform
noise, 2,000 images each, with the shipped MNIST classifier.

    python benchmarks/known_images.py [--samples 2000]

Prints a table of the Fréchet score, precision, recall, density, coverage and class balance
(Image quality: fidelity and diversity apart).
"""

from __future__ import annotations

import argparse

import benchmarks_path  # noqa: F401  (lets `python benchmarks/x.py` import the package from a checkout)
import torch

from workbench.core import paths
from workbench.core.data.datasets import load_split
from workbench.core.evaluation.registry import scoring_model
from workbench.core.evaluation.scoring import image_scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2000)
    args = parser.parse_args()
    from torchvision.transforms.functional import gaussian_blur

    root = paths.data_dir(None)
    scoring = scoring_model("mnist", root)
    images, labels = load_split("mnist", root, train=True)
    n = args.samples
    real = images[torch.randperm(images.shape[0], generator=torch.Generator().manual_seed(1))[:n]]
    unit = real.float() / 255
    sets = {"real training digits": real}
    for sigma in (0.5, 1.0, 2.0):
        size = 2 * round(3 * sigma) + 1
        sets[f"Gaussian blur σ={sigma:g}"] = gaussian_blur(unit, [size, size], [sigma, sigma])
    sets["only the digit 1"] = images[labels == 1][:n]
    sets[f"{n // 10} sevens, each 10 times"] = images[labels == 7][:n // 10].repeat(10, 1, 1, 1)
    sets["uniform noise"] = torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(2))
    print(f"classifier {scoring.name} (version {scoring.version}), {n} images each\n")
    print("| images | Fréchet score | precision | recall | density | coverage | class balance |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, x in sets.items():
        s = image_scores(x, scoring)
        print(f"| {name} | {s['quality']:,.3g} | {s['precision']:.3f} | {s['recall']:.3f} | {s['density']:.3f} | "
              f"{s['coverage']:.3f} | {s['class_balance']:.3f} |", flush=True)


if __name__ == "__main__":
    main()
