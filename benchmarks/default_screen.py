"""Choosing the default preset over the whole run: train each candidate recipe over several seeds
for the same training time, keep a checkpoint every epoch, then score every epoch and compare the
best epoch reached within 5 and within 10 minutes.

    python benchmarks/default_screen.py train [--home DIR] [--minutes 10] [--seeds 0 1 2] [--jobs 2]
    python benchmarks/default_screen.py report [--home DIR] [--at 5 10] [--samples 2000]

Training time is the CPU time of a single-threaded training process, not the wall clock: runs
train side by side (`--jobs`), and other work on the machine neither shortens nor lengthens
what a run is given. It counts training and checkpoint writes, no scoring (`report` scores
afterwards, from the kept checkpoints, with whatever classifier the package holds then).

Candidates with generator averaging (`g_ema`) are scored twice from the same checkpoints: the
weights as trained and their average (the averaging does not change what is trained). A
candidate with a learning-rate decay needs its end: it gets the epochs that fit the budget,
measured from a short timed stretch of its own batches before it starts.

`report` prints, per candidate and budget, the mean and spread over the seeds of the best-epoch
score and, at that epoch, class balance, precision and recall, then the candidate the rule picks:
the lowest mean best-epoch score at the first budget with class balance ≥ 0.98 and recall not
below the others' (within the seeds' spread).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import benchmarks_path  # noqa: F401  (lets `python benchmarks/x.py` import the package from a checkout)

CANDIDATES = {
    "cpu-fast": ("cpu-fast", {"g_ema": 0.999}),
    "dcgan-small b64 r0": ("dcgan-small", {"batch_size": 64, "rotation_degrees": 0.0, "g_ema": 0.999}),
    "dcgan-small b64 r0 decay": ("dcgan-small", {"batch_size": 64, "rotation_degrees": 0.0, "g_ema": 0.999,
                                                  "lr_decay": "linear"}),
}
CALIBRATION_BATCHES = 60
#: more epochs than any candidate trains in the budget (the disk check counts their checkpoints)
MAX_EPOCHS = 40
KEPT_SCORES = ("quality", "precision", "recall", "density", "coverage", "class_balance")


def candidate_config(name: str, seed: int):
    from workbench.core.presets import preset_config

    preset, changes = CANDIDATES[name]
    return preset_config(preset).with_changes(seed=seed, device="cpu", eval_samples=0, keep_checkpoint_every=1,
                                              epochs=MAX_EPOCHS, **changes)


def cpu_seconds_per_batch(config) -> float:
    """CPU seconds of one training batch of `config`, from a short stretch of its own batches."""
    from workbench.core.events import BatchProgress, TrainingControl
    from workbench.core.store.runs import RunStore
    from workbench.core.training.trainer import Trainer

    probe = config.with_changes(epochs=1, max_batches=CALIBRATION_BATCHES, keep_checkpoint_every=0,
                                lr_decay="none")
    marks = []
    Trainer(probe, RunStore().create(probe, name="calibration"), progress_interval=0.0).fit(
        lambda e: marks.append(time.process_time()) if isinstance(e, BatchProgress) else None, TrainingControl())
    if len(marks) < 3:
        raise RuntimeError("calibration saw too few batches")
    return (marks[-1] - marks[1]) / (len(marks) - 2)


def train_one(name: str, seed: int, minutes: float, home: str) -> dict:
    """Train one candidate for `minutes` of CPU time on one thread; returns its epoch timeline."""
    os.environ["WORKBENCH_HOME"] = home
    import torch

    torch.set_num_threads(1)
    from workbench.core.events import BatchProgress, EpochEnded, TrainingControl
    from workbench.core.store.runs import RunStore
    from workbench.core.training.trainer import Trainer

    config = candidate_config(name, seed)
    budget = minutes * 60
    if config.lr_decay != "none":
        batches = -(-60_000 // config.batch_size)
        config = config.with_changes(epochs=max(1, int(budget / (cpu_seconds_per_batch(config) * batches))))
    run = RunStore().create(config, name=f"{name} seed {seed}")
    control = TrainingControl()
    start, wall, epochs = time.process_time(), time.perf_counter(), []

    def watch(event) -> None:
        used = time.process_time() - start
        if isinstance(event, EpochEnded):
            epochs.append({"epoch": event.epoch, "cpu_seconds": round(used, 1),
                           "wall_seconds": round(time.perf_counter() - wall, 1)})
        if isinstance(event, (BatchProgress, EpochEnded)) and used >= budget:
            control.stop()

    Trainer(config, run, progress_interval=1.0).fit(watch, control)
    record = {"candidate": name, "seed": seed, "run": run.id, "minutes": minutes, "epochs": epochs,
              "planned_epochs": config.epochs}
    out = Path(home) / "screen" / f"{name} seed {seed}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=1))
    return record


def train(args) -> None:
    # the plain candidates first, seed by seed; the ones with a decay after them
    jobs = sorted(((name, seed) for seed in args.seeds for name in CANDIDATES),
                  key=lambda job: (CANDIDATES[job[0]][1].get("lr_decay", "none") != "none", job[1]))
    done = {(r["candidate"], r["seed"]) for r in records(args.home) if r["epochs"]}
    jobs = [job for job in jobs if job not in done]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(train_one, name, seed, args.minutes, args.home) for name, seed in jobs]
        for future in futures:
            r = future.result()
            print(f"  {r['candidate']} seed {r['seed']}: {len(r['epochs'])} epochs in "
                  f"{r['epochs'][-1]['cpu_seconds'] if r['epochs'] else 0:.0f} CPU s, run {r['run']}", flush=True)


def records(home: str) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((Path(home) / "screen").glob("*.json"))]


def epoch_scores(record: dict, samples: int, scoring) -> dict:
    """{variant: {epoch: scores}}: every kept epoch scored, as trained and (with g_ema) averaged;
    cached beside the record so a report can be printed again without scoring again."""
    cache = Path(os.environ["WORKBENCH_HOME"]) / "screen" / "scores" / f"{record['run']}-{scoring.name}.json"
    if cache.exists():
        return {variant: {int(e): s for e, s in by_epoch.items()}
                for variant, by_epoch in json.loads(cache.read_text()).items()}
    from workbench.core.evaluation.scoring import GeneratorEvaluator, image_scores
    from workbench.core.nets.models import build_generator, with_weights
    from workbench.core.store.checkpoints import load_checkpoint
    from workbench.core.store.epoch_checkpoints import epoch_checkpoints
    from workbench.core.store.runs import RunStore

    run = RunStore().get(record["run"])
    config = run.config()
    evaluator = GeneratorEvaluator(config, scoring, samples)
    kept = epoch_checkpoints(run)
    out = {"as trained": {}, "averaged": {}} if config.g_ema else {"as trained": {}}
    for entry in record["epochs"]:
        state = load_checkpoint(kept[entry["epoch"]].path, "cpu")
        weights = {"as trained": state["generator"]}
        if config.g_ema:
            weights["averaged"] = state["generator_ema"]["weights"]
        for variant, w in weights.items():
            scores = image_scores(evaluator.images(with_weights(build_generator, config, w)), scoring)
            out[variant][entry["epoch"]] = {k: scores[k] for k in KEPT_SCORES} | {"cpu_seconds": entry["cpu_seconds"]}
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(out))
    return out


def best_within(by_epoch: dict, seconds: float) -> dict | None:
    inside = [s | {"epoch": e} for e, s in by_epoch.items() if s["cpu_seconds"] <= seconds]
    return min(inside, key=lambda s: s["quality"]) if inside else None


def mean_sd(values: list[float]) -> tuple[float, float]:
    return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


def report(args) -> None:
    os.environ["WORKBENCH_HOME"] = args.home
    from workbench.core import paths
    from workbench.core.evaluation.registry import scoring_model

    scoring = scoring_model("mnist", paths.data_dir(None))
    rows = {}  # (candidate, variant) -> {minutes: [best dicts over seeds]}
    for record in records(args.home):
        for variant, by_epoch in epoch_scores(record, args.samples, scoring).items():
            label = record["candidate"] + (", averaged G" if variant == "averaged" else "")
            for minutes in args.at:
                best = best_within(by_epoch, minutes * 60)
                if best:
                    rows.setdefault(label, {}).setdefault(minutes, []).append(best | {"seed": record["seed"]})
    print(f"\nclassifier {scoring.name} (version {scoring.version}); {args.samples} samples; training time is "
          "CPU time of one thread")
    for minutes in args.at:
        print(f"\n### Best epoch within {minutes:g} minutes\n")
        print("| candidate | seeds | best score, mean ± sd | per seed (epoch) | class balance | precision | recall |")
        print("|---|---:|---:|---|---:|---:|---:|")
        for label, by_minutes in rows.items():
            bests = by_minutes.get(minutes, [])
            if not bests:
                continue
            q, qs = mean_sd([b["quality"] for b in bests])
            seeds = ", ".join(f"{b['quality']:.2f} ({b['epoch']})" for b in bests)
            cells = [f"{mean_sd([b[k] for b in bests])[0]:.3f}" for k in ("class_balance", "precision", "recall")]
            print(f"| {label} | {len(bests)} | {q:.2f} ± {qs:.2f} | {seeds} | {' | '.join(cells)} |")
    pick(rows, args.at[0])


def pick(rows: dict, minutes: float) -> None:
    """The rule: lowest mean best-epoch score at `minutes`, class balance ≥ 0.98, recall not
    below the others' by more than the seeds' spread."""
    stats = {}
    for label, by_minutes in rows.items():
        bests = by_minutes.get(minutes, [])
        if bests:
            stats[label] = {k: mean_sd([b[k] for b in bests]) for k in ("quality", "class_balance", "recall")}
    top_recall = max(s["recall"][0] for s in stats.values())
    eligible = {label: s for label, s in stats.items()
                if s["class_balance"][0] >= 0.98 and s["recall"][0] + s["recall"][1] >= top_recall}
    if not eligible:
        print("\nNo candidate meets the rule.")
        return
    winner = min(eligible, key=lambda label: eligible[label]["quality"][0])
    print(f"\nRule at {minutes:g} minutes: {winner} (mean best score {eligible[winner]['quality'][0]:.2f}); "
          f"eligible: {', '.join(eligible)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train")
    t.add_argument("--minutes", type=float, default=10.0)
    t.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2])
    t.add_argument("--jobs", type=int, default=2)
    r = sub.add_parser("report")
    r.add_argument("--at", type=float, nargs="*", default=[5.0, 10.0])
    r.add_argument("--samples", type=int, default=2000)
    for p in (t, r):
        p.add_argument("--home", default=os.environ.get("WORKBENCH_HOME", "screen-home"))
    args = parser.parse_args()
    args.home = str(Path(args.home).resolve())
    train(args) if args.command == "train" else report(args)


if __name__ == "__main__":
    main()
