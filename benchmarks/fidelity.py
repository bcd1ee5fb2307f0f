"""Faster, never different: train each preset for a few epochs with the reference loop and
with the workbench trainer from the same seed, and print per epoch the mean losses and the
image quality (Fréchet score and class balance of the same fixed latent points) side by side.
A second workbench run with another seed shows how far two runs differ by chance alone: the
reference tracks the workbench "within noise" when its gap is of that size. The fixed-noise
grids of the last preset are written next to each other into one PNG.

    python benchmarks/fidelity.py [--presets dcgan-small dcgan ...] [--epochs 2] [--batches 469]
"""

from __future__ import annotations

import argparse
import os
import tempfile

import benchmarks_path  # noqa: F401  (lets `python benchmarks/x.py` import the package from a checkout)
import numpy as np
import torch
from throughput import reference_train

from workbench.core.evaluation.run_scores import DEFAULT_SAMPLES, scoring_for
from workbench.core.evaluation.scoring import GeneratorEvaluator
from workbench.core.events import EpochEnded
from workbench.core.nets.sampling import fixed_noise, grid_array, save_png, to_display
from workbench.core.presets import DEFAULT_PRESET, PRESETS, preset_config
from workbench.core.store.runs import RunStore
from workbench.core.training.trainer import Trainer

SEED_PRESETS = [name for name in PRESETS if name != DEFAULT_PRESET]


def workbench_epochs(config) -> list[EpochEnded]:
    ended = []
    Trainer(config, RunStore().create(config)).fit(lambda e: ended.append(e) if isinstance(e, EpochEnded) else None)
    return ended


def compare(name: str, epochs: int, batches: int, samples: int):
    config = preset_config(name).with_changes(device="cpu", epochs=epochs, max_batches=batches,
                                             eval_samples=samples)
    per_epoch = batches or -(-60000 // config.batch_size)
    ours = workbench_epochs(config)
    other_seed = workbench_epochs(config.with_changes(seed=config.seed + 1))
    evaluator = GeneratorEvaluator(config, scoring_for(config), samples)
    reference_scores = []
    _, d_ref, g_ref, generator = reference_train(
        config, per_epoch * epochs, every=per_epoch, on_every=lambda _, g: reference_scores.append(evaluator(g)))
    rows = []
    for i, (e, o, r) in enumerate(zip(ours, other_seed, reference_scores)):
        window = slice(i * per_epoch, (i + 1) * per_epoch)
        rows.append(f"| {name} | {e.epoch} | {np.mean(d_ref[window]):.3f} / {e.d_loss:.3f} | "
                    f"{np.mean(g_ref[window]):.3f} / {e.g_loss:.3f} | {r['quality']:.2f} | {e.scores['quality']:.2f} | "
                    f"{o.scores['quality']:.2f} | {r['class_balance']:.3f} / {e.scores['class_balance']:.3f} |")
    generator.eval()
    with torch.no_grad():
        ref_grid = grid_array(to_display(generator(fixed_noise(config)), config.image_range))
    return rows, ref_grid, ours[-1].grid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="*", default=SEED_PRESETS)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batches", type=int, default=0, help="batches per epoch (0: the whole set)")
    parser.add_argument("--samples", type=int, default=DEFAULT_SAMPLES)
    parser.add_argument("--out", default="fidelity.png")
    args = parser.parse_args()
    os.environ.setdefault("WORKBENCH_HOME", tempfile.mkdtemp(prefix="wb-fidelity-"))
    print(f"{args.epochs} epochs each, {'whole epochs' if not args.batches else f'{args.batches} batches per epoch'}; "
          f"quality = Fréchet score on {args.samples} samples (lower is better)")
    print("| preset | epoch | D loss ref / wb | G loss ref / wb | quality ref | quality wb | quality wb, seed+1 "
          "| class balance ref / wb |")
    print("|---|---:|---|---|---:|---:|---:|---|")
    for name in args.presets:
        rows, ref_grid, our_grid = compare(name, args.epochs, args.batches, args.samples)
        print("\n".join(rows), flush=True)
    gap = np.zeros((ref_grid.shape[0], 16), np.uint8)
    save_png(np.concatenate([ref_grid, gap, our_grid], axis=1), args.out)
    print(f"grids of {args.presets[-1]} (reference left, workbench right): {args.out}")


if __name__ == "__main__":
    main()
