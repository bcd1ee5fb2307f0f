"""The conditional measures of a conditional run, per kept epoch: class accuracy and the
intra-class Fréchet score on the evaluation's 2,000 samples (every class in turn), the plain
Fréchet score and class balance, and the share of `sample --class 7 --count 64` (seed 0) that
the judging classifier calls 7.

    python benchmarks/conditional.py RUN [--samples 2000] [--label 7] [--from-epoch A] [--to-epoch B] [--every N]

RUN is a run of WORKBENCH_HOME trained with `condition: class` and `--keep-checkpoint-every 1`
(e.g. `gan-workbench train --preset cpu-conditional --keep-checkpoint-every 1`). Nothing is
stored in the run. One JSON line per epoch.
"""

from __future__ import annotations

import argparse
import json

import benchmarks_path  # noqa: F401  (lets `python benchmarks/x.py` import the package from a checkout)
import torch

from workbench.core.evaluation.run_scores import evaluate_run, scoring_for
from workbench.core.outputs.generation import LoadedGenerator, seed_latents
from workbench.core.store.epoch_checkpoints import epoch_checkpoints
from workbench.core.store.runs import RunStore


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run")
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--label", type=int, default=7, help="the class `sample --class` asks for")
    parser.add_argument("--from-epoch", type=int, default=1)
    parser.add_argument("--to-epoch", type=int, default=None)
    parser.add_argument("--every", type=int, default=1, help="every Nth epoch only")
    args = parser.parse_args()
    run = RunStore().get(args.run)
    scoring = scoring_for(run.config())
    for epoch, checkpoint in epoch_checkpoints(run).items():
        if (checkpoint.mid_epoch or epoch < args.from_epoch or (args.to_epoch and epoch > args.to_epoch)
                or (epoch - args.from_epoch) % args.every):
            continue
        scores = evaluate_run(run, epoch, args.samples, store=False)
        loaded = LoadedGenerator(run, epoch)
        asked = torch.full((64,), args.label, dtype=torch.int64)
        images = torch.from_numpy(loaded.render(seed_latents(loaded.config, 64, 0), asked))
        _, probs = scoring.classifier.embed(scoring.judged(images[:, None] if images.dim() == 3 else images))
        hit = float((probs.argmax(1) == args.label).float().mean())
        print(json.dumps({"epoch": epoch, "quality": round(scores["quality"], 3),
                          "class_accuracy": round(scores["class_accuracy"], 4),
                          "intra_quality": round(scores["intra_quality"], 3),
                          "class_balance": round(scores["class_balance"], 4),
                          "precision": round(scores["precision"], 3), "recall": round(scores["recall"], 3),
                          f"sample_class_{args.label}_called_{args.label}": hit}), flush=True)


if __name__ == "__main__":
    main()
