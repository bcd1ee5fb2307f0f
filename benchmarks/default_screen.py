"""Choosing the default preset over the whole run: train each candidate recipe over several seeds
for as long as 10 minutes of training on an idle 2-core machine, keep a checkpoint every epoch,
then score every epoch and compare the best epoch reached within 5 and within 10 minutes.

    python benchmarks/default_screen.py train [--home DIR] [--minutes 10] [--seeds 0 1 2] [--jobs 2] [--candidates …]
    python benchmarks/default_screen.py report [--home DIR] [--at 5 10] [--samples 2000]
    python benchmarks/default_screen.py grids OLD NEW [--seed 0] [--out FILE]   (the README's picture)

Runs train side by side on one thread each (`--jobs`), so the machine's other work changes how
long they take but not what they reach: the budget is a number of epochs, what a candidate trains
in 10 minutes on an idle 2-core machine (QUIET_EPOCH_SECONDS: `cpu-fast`'s measured idle epoch,
and the others' from the CPU time of their epochs beside `cpu-fast`'s, which `report` prints). A
run trained before continues to its epochs. No scoring happens during training: `report` scores
every kept epoch afterwards (cached epoch by epoch) with the classifier the package holds then.

Candidates with generator averaging (`g_ema`) are scored twice from the same checkpoints: the
weights as trained and their average (averaging does not change what is trained). A candidate
with a learning-rate decay keeps the epochs it was first planned with (its schedule ends there);
it is trained only when named in `--candidates`.

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
import textwrap
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
#: more epochs than any candidate trains in the budget (the disk check counts their checkpoints)
MAX_EPOCHS = 40
#: what 10 minutes of training on an idle 2-core machine is, in epochs: `cpu-fast` trained 12
#: epochs in 5.0 minutes there (Benchmarks, quality at equal training time); a `dcgan-small`
#: epoch at batch 64 costs about 1.7 times a `cpu-fast` one (78–80 against 47.0 CPU seconds, medians
#: of the two side by side in this screen; `report` prints the ratio it measured)
QUIET_EPOCH_SECONDS = {"cpu-fast": 25.0, "dcgan-small b64 r0": 42.7, "dcgan-small b64 r0 decay": 42.7}
KEPT_SCORES = ("quality", "precision", "recall", "density", "coverage", "class_balance")


def candidate_config(name: str, seed: int):
    from workbench.core.presets import preset_config

    preset, changes = CANDIDATES[name]
    return preset_config(preset).with_changes(seed=seed, device="cpu", eval_samples=0, keep_checkpoint_every=1,
                                              epochs=MAX_EPOCHS, **changes)


def existing_run(name: str, seed: int):
    """The run of a candidate and seed trained before (the one with most epochs), or None."""
    from workbench.core.store.runs import RunStore

    store = RunStore()
    named = [s for s in store.summaries() if s.name == f"{name} seed {seed}" and s.epochs_done > 0]
    return store.get(max(named, key=lambda s: s.epochs_done).id) if named else None


def train_one(name: str, seed: int, epochs: int, home: str) -> dict:
    """Train one candidate on one thread to `epochs` (continuing its run when there is one);
    returns its epoch timeline, with the CPU seconds each epoch took."""
    os.environ["WORKBENCH_HOME"] = home
    import torch

    torch.set_num_threads(1)
    from workbench.core.events import EpochEnded, TrainingControl
    from workbench.core.store.runs import RunStore
    from workbench.core.training.trainer import Trainer

    out = Path(home) / "screen" / f"{name} seed {seed}.json"
    before = json.loads(out.read_text())["epochs"] if out.exists() else []
    run = existing_run(name, seed)
    config = candidate_config(name, seed)
    if config.lr_decay != "none":  # a decay needs its end: it keeps the epochs it was planned with
        epochs = run.config().epochs if run else epochs
    config = config.with_changes(epochs=epochs)
    run = run or RunStore().create(config, name=f"{name} seed {seed}")
    known = {e["epoch"]: e for e in before}
    offset = max((e["cpu_seconds"] for e in before), default=0.0)
    start, wall, epochs_seen = time.process_time(), time.perf_counter(), []

    def watch(event) -> None:
        if isinstance(event, EpochEnded):
            epochs_seen.append({"epoch": event.epoch, "cpu_seconds": round(offset + time.process_time() - start, 1),
                                "wall_seconds": round(time.perf_counter() - wall, 1),
                                "after_unrecorded": event.epoch - 1 not in known and event.epoch > 1
                                and not epochs_seen})

    Trainer(config, run, progress_interval=5.0).fit(watch, TrainingControl())
    timeline = sorted((known | {e["epoch"]: e for e in epochs_seen}).values(), key=lambda e: e["epoch"])
    record = {"candidate": name, "seed": seed, "run": run.id, "epochs": timeline, "planned_epochs": config.epochs}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=1))
    return record


def train(args) -> None:
    names = args.candidates or [n for n in CANDIDATES if CANDIDATES[n][1].get("lr_decay", "none") == "none"]
    jobs = [(name, seed) for seed in args.seeds for name in names]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(train_one, name, seed, round(args.minutes * 60 / QUIET_EPOCH_SECONDS[name]), args.home)
                   for name, seed in jobs]
        for future in futures:
            r = future.result()
            print(f"  {r['candidate']} seed {r['seed']}: {len(r['epochs'])} epochs, run {r['run']}", flush=True)


def records(home: str) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((Path(home) / "screen").glob("*.json"))]


def epoch_scores(record: dict, samples: int, scoring) -> dict:
    """{variant: {epoch: scores}}: every kept epoch scored, as trained and (with g_ema) averaged;
    cached beside the record, epoch by epoch, so a longer run scores only its new epochs."""
    from workbench.core.evaluation.scoring import GeneratorEvaluator, image_scores
    from workbench.core.nets.models import build_generator, with_weights
    from workbench.core.store.checkpoints import load_checkpoint
    from workbench.core.store.epoch_checkpoints import epoch_checkpoints
    from workbench.core.store.runs import RunStore

    cache = Path(os.environ["WORKBENCH_HOME"]) / "screen" / "scores" / f"{record['run']}-{scoring.name}.json"
    out = json.loads(cache.read_text()) if cache.exists() else {}
    out = {variant: {int(e): s for e, s in by_epoch.items()} for variant, by_epoch in out.items()}
    run = RunStore().get(record["run"])
    config = run.config()
    evaluator = GeneratorEvaluator(config, scoring, samples)
    kept = epoch_checkpoints(run)
    for epoch in sorted(kept):
        if all(epoch in out.get(v, {}) for v in (("as trained", "averaged") if config.g_ema else ("as trained",))):
            continue
        state = load_checkpoint(kept[epoch].path, "cpu")
        weights = {"as trained": state["generator"]}
        if config.g_ema:
            weights["averaged"] = state["generator_ema"]["weights"]
        for variant, w in weights.items():
            scores = image_scores(evaluator.images(with_weights(build_generator, config, w)), scoring)
            out.setdefault(variant, {})[epoch] = {k: scores[k] for k in KEPT_SCORES}
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(out))
    return out


def best_within(by_epoch: dict, last_epoch: int) -> dict | None:
    inside = [s | {"epoch": e} for e, s in by_epoch.items() if e <= last_epoch]
    return min(inside, key=lambda s: s["quality"]) if inside else None


def mean_sd(values: list[float]) -> tuple[float, float]:
    return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


def cpu_seconds_per_epoch(records: list[dict]) -> dict[str, float]:
    """Median CPU seconds of an epoch per candidate, over the epochs timed from the one before."""
    out = {}
    for name in {r["candidate"] for r in records}:
        steps = []
        for r in (r for r in records if r["candidate"] == name):
            timed = {e["epoch"]: e["cpu_seconds"] for e in r["epochs"] if not e.get("after_unrecorded")}
            steps += [timed[e] - timed.get(e - 1, 0.0) for e in timed if e - 1 in timed or e == 1]
        if steps:
            out[name] = statistics.median(steps)
    return out


def report(args) -> None:
    os.environ["WORKBENCH_HOME"] = args.home
    from workbench.core import paths
    from workbench.core.evaluation.registry import scoring_model

    scoring = scoring_model("mnist", paths.data_dir(None))
    done = [r for r in records(args.home) if r["epochs"]]
    rows = {}  # label -> {minutes: [best dicts over seeds]}
    for record in done:
        name = record["candidate"]
        for variant, by_epoch in epoch_scores(record, args.samples, scoring).items():
            label = name + (", averaged G" if variant == "averaged" else "")
            for minutes in args.at:
                best = best_within(by_epoch, int(minutes * 60 / QUIET_EPOCH_SECONDS[name] + 0.5))
                if best:
                    rows.setdefault(label, {}).setdefault(minutes, []).append(best | {"seed": record["seed"]})
    print_spread(done, args.samples, scoring)
    per_epoch = cpu_seconds_per_epoch(done)
    print("\nCPU seconds of an epoch on one thread (median): " +
          ", ".join(f"{name} {seconds:.1f}" for name, seconds in sorted(per_epoch.items())))
    print(f"classifier {scoring.name} (version {scoring.version}); {args.samples} samples; minutes of an idle "
          "2-core machine, as epochs: " + ", ".join(f"{n} {s:g} s" for n, s in QUIET_EPOCH_SECONDS.items()))
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


def print_spread(done: list[dict], samples: int, scoring, epoch: int = 6) -> None:
    """The score's spread between `cpu-fast` and `dcgan-small` at batch 64 without rotation, both
    as trained, at one epoch of each seed: how far apart it puts two grids a person sees apart."""
    by = {(r["candidate"], r["seed"]): epoch_scores(r, samples, scoring)["as trained"] for r in done}
    pairs = [(seed, by[("cpu-fast", seed)][epoch]["quality"], by[("dcgan-small b64 r0", seed)][epoch]["quality"])
             for (name, seed) in by if name == "cpu-fast" and epoch in by[(name, seed)]
             and epoch in by.get(("dcgan-small b64 r0", seed), {})]
    for seed, a, b in sorted(pairs):
        print(f"epoch {epoch}, seed {seed}: cpu-fast {a:.2f}, dcgan-small b64 r0 {b:.2f}: {a / b:.2f}× apart")


def pick(rows: dict, minutes: float) -> None:
    """The rule: lowest mean best-epoch score at `minutes` among the candidates with every seed
    there, class balance ≥ 0.98 and recall not below the others' by more than the seeds' spread."""
    stats = {}
    seeds = max(len(by_minutes.get(minutes, [])) for by_minutes in rows.values())
    for label, by_minutes in rows.items():
        bests = by_minutes.get(minutes, [])
        if len(bests) == seeds:
            stats[label] = {k: mean_sd([b[k] for b in bests]) for k in ("quality", "class_balance", "recall")}
    top_recall = max(s["recall"][0] for s in stats.values())
    eligible = {label: s for label, s in stats.items()
                if s["class_balance"][0] >= 0.98 and s["recall"][0] + s["recall"][1] >= top_recall - 1e-9}
    if not eligible:
        print("\nNo candidate meets the rule.")
        return
    winner = min(eligible, key=lambda label: eligible[label]["quality"][0])
    print(f"\nRule at {minutes:g} minutes ({seeds} seeds): {winner} (mean best score "
          f"{eligible[winner]['quality'][0]:.2f}); eligible: {', '.join(eligible)}")


def grids(args) -> None:
    """The grids of the old and the new default side by side: each one's best epoch within the
    first budget for `--seed`, 64 samples of the evaluation's fixed latent points, captioned
    with the score and the reference marks it lies between."""
    os.environ["WORKBENCH_HOME"] = args.home
    from PIL import Image, ImageDraw, ImageFont

    from workbench.core import paths
    from workbench.core.evaluation.marks import describe
    from workbench.core.evaluation.registry import scoring_model
    from workbench.core.evaluation.scoring import GeneratorEvaluator
    from workbench.core.nets.models import build_generator, with_weights
    from workbench.core.nets.sampling import grid_array
    from workbench.core.store.checkpoints import load_checkpoint
    from workbench.core.store.epoch_checkpoints import epoch_checkpoints
    from workbench.core.store.runs import RunStore

    scoring = scoring_model("mnist", paths.data_dir(None))
    panels = []
    titles = args.titles or args.show
    for label, title in zip(args.show, titles):
        name, _, variant = label.partition(", ")
        record = next(r for r in records(args.home) if r["candidate"] == name and r["seed"] == args.seed)
        by_epoch = epoch_scores(record, args.samples, scoring)["averaged" if variant else "as trained"]
        best = best_within(by_epoch, int(args.at[0] * 60 / QUIET_EPOCH_SECONDS[name] + 0.5))
        run = RunStore().get(record["run"])
        state = load_checkpoint(epoch_checkpoints(run)[best["epoch"]].path, "cpu")
        weights = state["generator_ema"]["weights"] if variant else state["generator"]
        config = run.config()
        evaluator = GeneratorEvaluator(config, scoring, 64)
        grid = grid_array(evaluator.images(with_weights(build_generator, config, weights)))
        image = Image.fromarray(grid).resize((grid.shape[1] * 2, grid.shape[0] * 2), Image.NEAREST)
        caption = [f"{title}, seed {args.seed}", f"best epoch within {args.at[0]:g} minutes: {best['epoch']}",
                   *textwrap.wrap(describe(best["quality"], scoring.marks), 60)]
        panels.append((image, caption))
    width = sum(p[0].width for p in panels) + 20 * (len(panels) + 1)
    height = max(p[0].height for p in panels) + 40 + 18 * max(len(p[1]) for p in panels)
    sheet = Image.new("RGB", (width, height), "white")
    draw, x = ImageDraw.Draw(sheet), 20
    try:  # a font with σ and ×, found by name among the system's fonts
        font = ImageFont.truetype("DejaVuSans.ttf", 13)
    except OSError:
        font = ImageFont.load_default()
    for image, caption in panels:
        sheet.paste(image.convert("RGB"), (x, 20))
        for i, line in enumerate(caption):
            draw.text((x, image.height + 28 + 18 * i), line, fill="black", font=font)
        x += image.width + 20
    sheet.save(args.out)
    print(f"wrote {args.out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train")
    t.add_argument("--candidates", nargs="*", help="default: every candidate without a decay")
    t.add_argument("--minutes", type=float, default=10.0,
                   help="train to the epochs of this many idle minutes (5 first, then 10: every seed at 5 soon)")
    t.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2])
    t.add_argument("--jobs", type=int, default=2)
    r = sub.add_parser("report")
    g = sub.add_parser("grids")
    g.add_argument("show", nargs=2, metavar="CANDIDATE", help='e.g. "cpu-fast" "dcgan-small b64 r0, averaged G"')
    g.add_argument("--titles", nargs=2, metavar="TITLE", help="what to call the two under their grids")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--out", default="default-grids.png")
    for p in (r, g):
        p.add_argument("--at", type=float, nargs="*", default=[5.0, 10.0])
        p.add_argument("--samples", type=int, default=2000)
    for p in (t, r, g):
        p.add_argument("--home", default=os.environ.get("WORKBENCH_HOME", "screen-home"))
    args = parser.parse_args()
    args.home = str(Path(args.home).resolve())
    {"train": train, "report": report, "grids": grids}[args.command](args)


if __name__ == "__main__":
    main()
