"""Search against grid: a TPE search with median pruning and the grid over the same two fields,
each 12 trials of the same length (so the search can only spend less training time than the
grid), on real MNIST with real scoring, for several seeds: the best score each finds (the
objective: best-epoch score of a run that did not collapse; and the lowest score any epoch
reported, collapsed or not) and the time each takes. Then one worker against two on the same
6-trial grid: wall time, with the machine's cores split between the workers (torch threads per
worker = cores / workers).

Budgets are fixed in epochs and batches, never in minutes, so a busy machine changes the times
but not what is trained.

    python benchmarks/sweep_search.py [--seeds 0 1 2] [--preset cpu-fast] [--epochs 3]
        [--batches 40] [--eval-samples 500] [--out results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GRID = ["lr_g=1e-4,3e-4,1e-3,3e-3", "beta1_g=0,0.25,0.5"]  # 12 points
SEARCH = ["lr_g=log:1e-4:3e-3", "beta1_g=0:0.5"]
WORKERS_GRID = ["lr_g=1e-4,3e-4,1e-3", "beta1_g=0,0.5"]  # 6 points


def _train(name: str, space, sampler: str, pruner: str, base, seed: int) -> dict:
    from workbench.core.sweeps.study_store import create_study, load_study, make_plan, open_storage
    from workbench.core.sweeps.study_table import study_rows

    plan = make_plan(name, base, space, sampler, pruner, None if sampler == "grid" else 12, seed=seed)
    storage = open_storage()
    create_study(plan, storage)
    study, plan = load_study(name, storage)
    from workbench.core.sweeps.study_worker import StudyWorker

    start, cpu_start = time.perf_counter(), time.process_time()
    StudyWorker(study, plan).run()
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    rows = study_rows(study)
    scores = [r.value for r in rows if r.value is not None]
    reported = [v for r in rows for v in r.intermediate.values()]  # collapsed epochs too: the raw Fréchet score
    return {"best": min(scores) if scores else None, "best_reported": min(reported) if reported else None,
            "seconds": seconds, "cpu_seconds": cpu_seconds,
            "complete": sum(r.state == "complete" for r in rows), "pruned": sum(r.state == "pruned" for r in rows),
            "failed": sum(r.state == "failed" for r in rows),
            "epochs": sum(r.epochs_done or 0 for r in rows)}


def search_against_grid(args) -> list[dict]:
    from workbench.core.presets import preset_config

    results = []
    for seed in args.seeds:
        base = preset_config(args.preset).with_changes(epochs=args.epochs, max_batches=args.batches,
                                                       eval_samples=args.eval_samples, seed=seed)
        row = {"seed": seed}
        for label, space, sampler, pruner in (("grid", GRID, "grid", "none"), ("tpe", SEARCH, "tpe", "median")):
            row[label] = _train(f"{label}-{seed}", space, sampler, pruner, base, seed)
            print(f"seed {seed} {label}: {row[label]}", flush=True)
        results.append(row)
        _save(args, {"search_against_grid": results})
    return results


def workers(args, count: int, threads: int | None = None) -> float:
    """Wall seconds for `count` sweep-worker processes to train the 6-point grid together, each
    with `threads` torch threads (default: the cores shared out)."""
    threads = threads or max(1, (os.cpu_count() or 1) // count)
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    cli = [sys.executable, "-c", "import sys; from workbench.cli import main; sys.exit(main(sys.argv[1:]))"]
    name = f"workers-{count}x{threads}"
    base = ["--preset", args.preset, "--epochs", str(args.epochs), "--max-batches", str(args.batches),
            "--eval-samples", str(args.eval_samples)]
    subprocess.run(cli + ["sweep", *base, *sum((["--space", s] for s in WORKERS_GRID), []), "--sampler", "grid",
                          "--pruner", "none", "--name", name, "--no-start"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    start = time.perf_counter()
    processes = [subprocess.Popen(cli + ["sweep-worker", name], env=env, stdout=subprocess.DEVNULL)
                 for _ in range(count)]
    for process in processes:
        process.wait()
    return time.perf_counter() - start


def _score(result: dict) -> str:
    best = "—" if result["best"] is None else f"{result['best']:.2f}"
    return best if result["best_reported"] is None else f"{best} ({result['best_reported']:.2f})"


def _times(result: dict) -> str:
    return f"{result['seconds']:.0f} s / {result['cpu_seconds']:.0f} s"


def _save(args, data: dict) -> None:
    if args.out:
        old = json.loads(Path(args.out).read_text()) if Path(args.out).is_file() else {}
        Path(args.out).write_text(json.dumps(old | data, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--preset", default="cpu-fast")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--eval-samples", type=int, default=500)
    parser.add_argument("--out", help="also write the results to this JSON file (after each step)")
    parser.add_argument("--skip-search", action="store_true", help="only the workers comparison")
    parser.add_argument("--skip-workers", action="store_true", help="only the search against the grid")
    args = parser.parse_args()
    os.environ["WORKBENCH_HOME"] = tempfile.mkdtemp(prefix="sweep-bench-")
    if not args.skip_search:
        results = search_against_grid(args)
        print("\n| seed | grid best (any epoch) | grid wall / CPU | TPE+median best (any epoch) | TPE wall / CPU "
              "| TPE pruned, failed | epochs grid / TPE |")
        print("|---|---|---|---|---|---|---|")
        for r in results:
            g, t = r["grid"], r["tpe"]
            print(f"| {r['seed']} | {_score(g)} | {_times(g)} | {_score(t)} | {_times(t)} | "
                  f"{t['pruned']}, {t['failed']} | {g['epochs']} / {t['epochs']} |")
    if args.skip_workers:
        return
    cores = os.cpu_count() or 1
    times = {}
    for count, threads in ((1, cores), (1, 1), (2, max(1, cores // 2))):
        times[f"{count} worker(s) x {threads} thread(s)"] = workers(args, count, threads)
        _save(args, {"workers_seconds": times})
    print("\n6-trial grid, wall time: " + ", ".join(f"{k}: {v:.0f} s" for k, v in times.items()))


if __name__ == "__main__":
    main()
