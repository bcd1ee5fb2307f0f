"""Faster, never different: train a preset for a few epochs with the reference loop and with
the workbench trainer from the same seed, and print per-epoch mean losses side by side; the
fixed-noise grids of both are written next to each other into one PNG to look at.

    python benchmarks/fidelity.py --preset dcgan-small --epochs 2 [--batches 469] [--out fidelity.png]
"""

from __future__ import annotations

import argparse
import os
import tempfile

import numpy as np
import torch

import benchmarks_path  # noqa: F401  (lets `python benchmarks/x.py` import the package from a checkout)
from throughput import reference_train
from workbench.core.events import EpochEnded
from workbench.core.presets import preset_config
from workbench.core.runs import RunStore
from workbench.core.sampling import fixed_noise, grid_array, save_png, to_display
from workbench.core.training import Trainer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="dcgan-small")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batches", type=int, default=0, help="batches per epoch (0: the whole set)")
    parser.add_argument("--out", default="fidelity.png")
    args = parser.parse_args()
    os.environ.setdefault("WORKBENCH_HOME", tempfile.mkdtemp(prefix="wb-fidelity-"))
    config = preset_config(args.preset).with_changes(device="cpu", epochs=args.epochs, max_batches=args.batches)
    per_epoch = args.batches or -(-60000 // config.batch_size)

    ended = []
    Trainer(config, RunStore().create(config)).run(lambda e: ended.append(e) if isinstance(e, EpochEnded) else None)
    _, d_ref, g_ref, generator = reference_train(config, per_epoch * args.epochs)

    print(f"{args.preset}: {args.epochs} epochs x {per_epoch} batches, seed {config.seed}")
    print("| epoch | D loss ref | D loss wb | G loss ref | G loss wb | img/s wb |")
    print("|---:|---:|---:|---:|---:|---:|")
    for i, e in enumerate(ended):
        window = slice(i * per_epoch, (i + 1) * per_epoch)
        print(f"| {e.epoch} | {np.mean(d_ref[window]):.3f} | {e.d_loss:.3f} | {np.mean(g_ref[window]):.3f} | "
              f"{e.g_loss:.3f} | {e.images_per_sec:,.0f} |")
    generator.eval()
    with torch.no_grad():
        ref_grid = grid_array(to_display(generator(fixed_noise(config)), config.image_range))
    gap = np.zeros((ref_grid.shape[0], 16), np.uint8)
    save_png(np.concatenate([ref_grid, gap, ended[-1].grid], axis=1), args.out)
    print(f"grids (reference left, workbench right): {args.out}")


if __name__ == "__main__":
    main()
