"""What conditioning costs in training speed: `cpu-quality` and `cpu-conditional` (the same
networks with the class embedding, conditional batch norm, projection D, spectral norm and the
batch spread in D) trained for the same batches on real MNIST in this one process, alternately,
with evaluation off, so both see the same machine. Prints images/s and the ratio per round.

    python benchmarks/conditional_speed.py [--batches 300] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import tempfile

import benchmarks_path  # noqa: F401  (lets `python benchmarks/x.py` import the package from a checkout)
import torch

from workbench.core.events import EpochEnded
from workbench.core.presets import preset_config
from workbench.core.store.runs import RunStore
from workbench.core.training.trainer import Trainer

PRESETS = ("cpu-quality", "cpu-conditional")


def images_per_second(preset: str, batches: int, store: RunStore) -> float:
    config = preset_config(preset).with_changes(epochs=1, max_batches=batches, eval_samples=0)
    events = []
    Trainer(config, store.create(config)).fit(events.append)
    ended = [e for e in events if isinstance(e, EpochEnded)]
    return ended[-1].images_per_sec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("WORKBENCH_HOME", tempfile.mkdtemp(prefix="conditional-speed-"))
    store = RunStore()
    print(f"torch threads: {torch.get_num_threads()}, {args.batches} batches of 64 per run")
    print("| round | cpu-quality img/s | cpu-conditional img/s | conditional / plain |")
    print("|---:|---:|---:|---:|")
    for round_ in range(1, args.rounds + 1):
        plain, conditional = (images_per_second(p, args.batches, store) for p in PRESETS)
        print(f"| {round_} | {plain:,.0f} | {conditional:,.0f} | {conditional / plain:.2f} |", flush=True)


if __name__ == "__main__":
    main()
