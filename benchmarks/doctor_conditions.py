"""Does the training doctor name what really goes wrong, and leave healthy runs alone? Train
short runs that have each condition, then diagnose every one of them from its stored metrics
(the same `diagnose_run` that `gan-workbench doctor` uses) and print, per planted condition, how
many runs were flagged with it and at which epoch.

    python benchmarks/doctor_conditions.py train [--home DIR]
    python benchmarks/doctor_conditions.py report [--home DIR] [--json]

Budgets are epochs and batches per epoch, never minutes: every run is the preset's recipe with
`max_batches` cut (MAX_BATCHES) and its epochs shortened, scored every epoch on EVAL_SAMPLES
samples, on the CPU with one thread. A run trained before (same name) is not trained again, so
`report` can be run as often as the thresholds change.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile

import benchmarks_path  # noqa: F401  (lets `python benchmarks/x.py` import the package from a checkout)

MAX_BATCHES = 100
EVAL_SAMPLES = 1000
#: name → (planted condition, preset, changes); "healthy" runs must show nothing but `stalled`.
#: The presets' epochs are shortened: the default, cpu-quality, trains 16 full epochs; here 4 (and 8 of
#: 100 batches, 800 steps, in a run of its own: see docs/doctor.md).
RUNS = {
    "cpu-fast D lr x10": ("discriminator_winning", "cpu-fast", {"lr_d": 0.005, "epochs": 5}),
    "dcgan D lr x10": ("discriminator_winning", "dcgan", {"lr_d": 0.002, "epochs": 4, "max_batches": 60}),
    "cpu-quality D lr x10": ("discriminator_winning", "cpu-quality", {"lr_d": 0.002, "epochs": 8,
                                                                      "max_batches": 150}),
    "mlp-small": ("mode_collapse", "mlp-small", {"epochs": 25, "max_batches": 0}),
    "mlp-small hinge lr 1": ("diverged", "mlp-small", {"loss": "hinge", "lr_g": 1.0, "lr_d": 1.0, "epochs": 4,
                                                       "max_batches": 150}),
    "cpu-fast lr x4 beta1 0.9": ("oscillation", "cpu-fast", {"lr_g": 0.002, "lr_d": 0.002, "beta1_g": 0.9,
                                                             "beta1_d": 0.9, "epochs": 10, "max_batches": 150}),
    "cpu-quality lr x5 no averaging": ("oscillation", "cpu-quality",
                                       {"lr_g": 0.001, "lr_d": 0.001, "g_ema": 0.0, "epochs": 4}),
    "cpu-quality seed 0": ("healthy", "cpu-quality", {"seed": 0, "epochs": 4, "max_batches": 0}),
    "cpu-quality seed 1": ("healthy", "cpu-quality", {"seed": 1, "epochs": 4, "max_batches": 0}),
    "cpu-quality seed 2": ("healthy", "cpu-quality", {"seed": 2, "epochs": 4, "max_batches": 0}),
    "cpu-quality 100-batch epochs seed 0": ("healthy, short epochs", "cpu-quality", {"seed": 0, "epochs": 8}),
    "dcgan seed 0": ("healthy", "dcgan", {"seed": 0, "epochs": 3, "max_batches": 0}),
}


def run_config(name: str):
    from workbench.core.presets import preset_config

    _, preset, changes = RUNS[name]
    base = {"device": "cpu", "max_batches": MAX_BATCHES, "eval_samples": EVAL_SAMPLES}
    return preset_config(preset).with_changes(**(base | changes))


def stored(name: str):
    from workbench.core.store.runs import RunStore

    named = [r for r in RunStore().runs() if r.summary().name == name]
    return named[0] if named else None


def train(args) -> None:
    import torch

    from workbench.core.events import TrainingControl
    from workbench.core.store.runs import RunStore
    from workbench.core.training.trainer import Trainer

    torch.set_num_threads(1)
    for name in args.only or RUNS:
        if stored(name) is not None:
            print(f"  {name}: trained before", flush=True)
            continue
        config = run_config(name)
        run = RunStore().create(config, name=name)
        final = Trainer(config, run, progress_interval=5.0).fit(None, TrainingControl())
        print(f"  {name}: {type(final).__name__}, run {run.id}", flush=True)


def flagged_at(run) -> list[dict]:
    """Each condition found in the run, with the epoch it starts from and the epoch the doctor
    first names it when it reads the run epoch by epoch, as the training tab does."""
    from workbench.core.doctor import diagnose, diverged_at

    entries, config = run.metrics().epochs, run.config()
    failure = diverged_at(run, len(entries))
    found = {d.condition: d for d in diagnose(entries, config, failure)}
    seen = {}
    for k in range(1, len(entries) + 1):
        for d in diagnose(entries[:k], config, failure if k == len(entries) else None):
            seen.setdefault(d.condition, entries[k - 1]["epoch"])
    return [{"condition": c, "from": d.epoch, "named_at": seen.get(c, d.epoch), "confidence": round(d.confidence, 2)}
            for c, d in found.items()]


def report(args) -> None:
    rows = []
    for name, (planted, _, _) in RUNS.items():
        run = stored(name)
        if run is None:
            print(f"  {name}: not trained (run `train` first)")
            continue
        rows.append({"run": name, "planted": planted, "epochs": len(run.metrics().epochs), "flags": flagged_at(run)})
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print(f"{'run':36} {'planted':22} {'epochs':>6}  flagged (condition from epoch, named at epoch, confidence)")
    for row in rows:
        flags = ", ".join(f"{f['condition']} from {f['from']}, named at {f['named_at']} ({f['confidence']})"
                          for f in row["flags"]) or "—"
        print(f"{row['run']:36} {row['planted']:22} {row['epochs']:>6}  {flags}")
    print()
    print(f"{'planted condition':22} {'runs':>4} {'flagged':>7}  named at epoch")
    for planted in dict.fromkeys(r["planted"] for r in rows):
        mine = [r for r in rows if r["planted"] == planted]
        if planted.startswith("healthy"):
            bad = [r for r in mine if any(f["condition"] != "stalled" for f in r["flags"])]
            print(f"{planted:22} {len(mine):>4} {len(bad):>7}  (flagged with anything but stalled)")
            continue
        hits = [next((f["named_at"] for f in r["flags"] if f["condition"] == planted), None) for r in mine]
        print(f"{planted:22} {len(mine):>4} {sum(h is not None for h in hits):>7}  "
              + ", ".join(str(h) for h in hits if h is not None))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("train", "report"))
    parser.add_argument("--home", default=os.path.join(tempfile.gettempdir(), "doctor-conditions"),
                        help="the WORKBENCH_HOME the runs are kept in")
    parser.add_argument("--only", nargs="*", choices=list(RUNS), help="train only these runs")
    parser.add_argument("--json", action="store_true", help="report as JSON")
    args = parser.parse_args()
    os.environ["WORKBENCH_HOME"] = args.home
    {"train": train, "report": report}[args.command](args)


if __name__ == "__main__":
    main()
