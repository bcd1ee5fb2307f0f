"""Image quality at equal training time: train each preset for the same wall-clock budget on
real MNIST, score its generator after every epoch (Fréchet score in the feature classifier's
space, class balance; scoring time is not counted as training time) and once more when the
budget runs out, then print a table and draw quality against training time for all of them.

    python benchmarks/quality.py [--minutes 5] [--presets cpu-fast dcgan-small ...] [--seeds 0 1 2]
                                 [--variant NAME=PRESET:field=value,field=value ...] [--out quality.png]

A variant is a preset with changed fields, for trying settings side by side. Presets train
until the budget runs out, except one with a learning-rate decay: it keeps its own epochs,
since its schedule ends with them.
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time

import benchmarks_path  # noqa: F401  (lets `python benchmarks/x.py` import the package from a checkout)

from workbench.core.config import TrainConfig
from workbench.core.evaluation.run_scores import DEFAULT_SAMPLES, evaluate_run
from workbench.core.events import BatchProgress, EpochEnded, Started, TrainingControl
from workbench.core.presets import PRESETS, preset_config
from workbench.core.store.runs import RunStore
from workbench.core.training.trainer import Trainer


def parse_variant(text: str) -> tuple[str, TrainConfig]:
    name, _, spec = text.partition("=")
    preset, _, changes = spec.partition(":")
    values = preset_config(preset).to_dict()
    for item in filter(None, changes.split(";") if ";" in changes else changes.split(",")):
        key, _, value = item.partition("=")
        values[key.strip()] = value.strip()
    return name, TrainConfig.from_dict(values)


class BudgetWatch:
    """Stops training once `seconds` of training (not scoring) time have passed."""

    def __init__(self, seconds: float, control: TrainingControl):
        self.seconds, self.control = seconds, control
        self.start = None
        self.scoring = 0.0
        self.points = []  # (training seconds, epoch, quality, class balance)

    def trained(self) -> float:
        return time.perf_counter() - self.start - self.scoring

    def __call__(self, event) -> None:
        if isinstance(event, Started):
            self.start = time.perf_counter()
        elif isinstance(event, BatchProgress) and self.trained() >= self.seconds:
            self.control.stop()
        elif isinstance(event, EpochEnded):
            self.scoring += event.scores.get("eval_seconds", 0.0)
            self.points.append((self.trained(), event.epoch, event.scores.get("quality"),
                                event.scores.get("class_balance")))
            if self.trained() >= self.seconds:
                self.control.stop()


def train_for(name: str, config: TrainConfig, minutes: float, samples: int) -> dict:
    # a decaying learning rate needs its end: such a config keeps its epochs (and may finish early)
    epochs = config.epochs if config.lr_decay != "none" else 10_000
    config = config.with_changes(epochs=epochs, device="cpu", eval_samples=samples)
    run = RunStore().create(config, name=name)
    control = TrainingControl()
    watch = BudgetWatch(minutes * 60, control)
    Trainer(config, run, progress_interval=0.5).fit(watch, control)
    trained = watch.trained()
    final = evaluate_run(run, samples=samples, store=False)
    points = watch.points + [(trained, final["epoch"], final["quality"], final["class_balance"])]
    best = min(points, key=lambda p: p[2])
    return {"name": name, "epochs": len(watch.points), "points": points, "best": best, "final": final,
            "seconds": trained, "run": run.id}


def plot(results: list[dict], path: str, minutes: float) -> None:
    """Quality (log scale) against training minutes, one line per preset, with PIL only."""
    from PIL import Image, ImageDraw

    colours = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
               (140, 86, 75), (227, 119, 194), (127, 127, 127)]
    width, height, left, right, top, bottom = 900, 520, 70, 200, 30, 50
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    values = [p[2] for r in results for p in r["points"] if p[2] and p[2] > 0]
    lo, hi = math.floor(math.log10(min(values))), math.ceil(math.log10(max(values)))
    hi = max(hi, lo + 1)

    def xy(seconds, quality):
        x = left + (width - left - right) * min(seconds / (minutes * 60), 1.0)
        y = top + (height - top - bottom) * (hi - math.log10(max(quality, 10 ** lo))) / (hi - lo)
        return x, y

    draw.rectangle([left, top, width - right, height - bottom], outline="black")
    for decade in range(lo, hi + 1):
        _, y = xy(0, 10 ** decade)
        draw.line([left, y, width - right, y], fill=(225, 225, 225))
        draw.text((8, y - 6), f"{10 ** decade:g}", fill="black")
    for minute in range(int(minutes) + 1):
        x, _ = xy(minute * 60, 10 ** lo)
        draw.text((x - 3, height - bottom + 6), str(minute), fill="black")
    draw.text((left + 150, height - 22), "training time (minutes); Frechet score, log scale, lower is better",
              fill="black")
    for i, r in enumerate(results):
        colour = colours[i % len(colours)]
        pts = [xy(s, q) for s, _, q, _ in r["points"] if q]
        if len(pts) > 1:
            draw.line(pts, fill=colour, width=2)
        for x, y in pts:
            draw.ellipse([x - 3, y - 3, x + 3, y + 3], fill=colour)
        draw.text((width - right + 12, top + 18 * i), r["name"], fill=colour)
    image.save(path)


def print_seed_means(results: list[dict], seeds: int) -> None:
    """One line per candidate: its best score and class balance there, averaged over the seeds."""
    print("\n| candidate | seeds | mean best score | mean class balance there |\n|---|---:|---:|---:|")
    for i in range(0, len(results), seeds):
        group = results[i:i + seeds]
        name = group[0]["name"].rsplit(" seed ", 1)[0]
        best = sum(r["best"][2] for r in group) / seeds
        balance = sum(r["best"][3] for r in group) / seeds
        print(f"| {name} | {seeds} | {best:.2f} | {balance:.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--presets", nargs="*", default=list(PRESETS))
    parser.add_argument("--variant", action="append", default=[], help="NAME=PRESET:field=value,field=value")
    parser.add_argument("--samples", type=int, default=DEFAULT_SAMPLES)
    parser.add_argument("--seeds", type=int, nargs="*", default=[],
                        help="train every candidate once per seed (a GAN's score varies a lot by seed)")
    parser.add_argument("--out", default="quality.png")
    args = parser.parse_args()
    os.environ.setdefault("WORKBENCH_HOME", tempfile.mkdtemp(prefix="wb-quality-"))
    candidates = [(name, preset_config(name)) for name in args.presets] + [parse_variant(v) for v in args.variant]
    if args.seeds:
        candidates = [(f"{name} seed {seed}", config.with_changes(seed=seed))
                      for name, config in candidates for seed in args.seeds]
    results = []
    for name, config in candidates:
        results.append(train_for(name, config, args.minutes, args.samples))
        r = results[-1]
        print(f"  {name}: {r['epochs']} epochs, best {r['best'][2]:.2f}, final {r['final']['quality']:.2f}",
              flush=True)
    print(f"\n{args.minutes:g} minutes of training each on {os.cpu_count()} cores; Fréchet score on "
          f"{args.samples} samples (lower is better), class balance 1.0 = every class equally often")
    print("| preset | epochs done | best score | at minute | class balance there | final score | final class balance |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        seconds, _, best, balance = r["best"]
        print(f"| {r['name']} | {r['epochs']} | {best:.2f} | {seconds / 60:.1f} | {balance:.3f} | "
              f"{r['final']['quality']:.2f} | {r['final']['class_balance']:.3f} |")
    if len(args.seeds) > 1:
        print_seed_means(results, len(args.seeds))
    plot(results, args.out, args.minutes)
    print(f"plot: {args.out}")


if __name__ == "__main__":
    main()
