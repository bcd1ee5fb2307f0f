"""The argument parser: one subcommand per action; the `train` flags are generated from
TrainConfig's field metadata, so every field is settable without being listed twice."""

from __future__ import annotations

import argparse
from pathlib import Path

from workbench.cli import doctor_commands as doctor
from workbench.core.config import field_specs
from workbench.versions import VersionAction


def epoch_choice(text: str) -> int | str:
    """`--epoch` of `sample` and `fork`: a number, `latest` or `best`."""
    if text in ("latest", "best"):
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an epoch; expected a number, latest or best") from None


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def with_flag(error) -> str:
    """A config field's error as the command line says it, naming the flag that sets the field:
    "g_widths (--g-widths): [64, 32] is not allowed; …"."""
    text = str(error)
    if error.field not in field_specs():
        return text
    return f"{error.field} ({_flag(error.field)})" + text[len(error.field):]


def add_config_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per TrainConfig field, typed and described by its FieldSpec."""
    groups = {}
    for name, spec in field_specs().items():
        group = groups.get(spec.group) or groups.setdefault(
            spec.group, parser.add_argument_group(f"{spec.group} (TrainConfig fields)"))
        metavar = {"choice": "{" + ",".join(spec.choices) + "}",
                   "int_list": "N,N,..."}.get(spec.kind, spec.kind.upper())
        if spec.kind == "bool":  # `--flag` alone turns it on; `--flag off` overrides a config file
            group.add_argument(_flag(name), dest=f"field_{name}", metavar="on|off", nargs="?", const="on",
                               default=None, help=f"{spec.help} Alone: on.")
            continue
        group.add_argument(_flag(name), dest=f"field_{name}", metavar=metavar, default=None,
                           help=f"{spec.help} Allowed: {spec.allowed()}.")


def config_overrides(args: argparse.Namespace) -> dict:
    return {name: getattr(args, f"field_{name}") for name in field_specs()
            if getattr(args, f"field_{name}", None) is not None}


def _study_names() -> list[str]:
    from workbench.core.sweeps.studies import STUDIES

    return list(STUDIES)


def _add_storage_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--storage", metavar="URL",
                   help="the study storage: any SQLAlchemy URL Optuna takes, e.g. postgresql://user:pw@host/db "
                        "(default: the SQLite file sweeps/studies.db in the home)")
    p.add_argument("--heartbeat", type=float, metavar="SECONDS", default=None,
                   help="seconds between a worker's heartbeats (default 10); a trial silent for 3 of them "
                        "is failed and queued again")


def _add_study_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("the study (every sweep is one: --set makes a grid, --space a search)")
    g.add_argument("--space", action="append", metavar="FIELD=SPEC",
                   help="a searched field (repeatable): FIELD=log:LOW:HIGH, FIELD=LOW:HIGH, FIELD=V1,V2,... "
                        "or FIELD+FIELD=A/B,C/D")
    g.add_argument("--trials", type=int, help="trials to train (default 10; a grid: its points)")
    g.add_argument("--sampler", help="tpe | random | grid (default: tpe; grid for --set and --study)")
    g.add_argument("--pruner", help="median | hyperband | none (default: median; none for a grid)")
    g.add_argument("--sampler-seed", type=int, help="seed of the sampler (default: none)")
    g.add_argument("--minutes-per-trial", type=float, metavar="M",
                   help="each trial's length: the epochs that take about M minutes here (or give --epochs)")
    g.add_argument("--no-start", action="store_true", help="create the study and train nothing (workers join it)")
    g.add_argument("--from", dest="from_run", metavar="RUN",
                   help="fork every trial from this run's --epoch instead of training from scratch "
                        "(the common start is trained once)")
    g.add_argument("--epoch", dest="from_epoch", metavar="E",
                   help="with --from: the kept epoch to fork from, a number, latest or best")
    _add_storage_flags(g)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gan-workbench",
        description="Train, watch and compare GANs on small image datasets. "
                    "Without a command, opens the desktop app.")
    parser.add_argument("--version", action=VersionAction)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("train", help="train a new run headless",
                       description="Train a new run. Start from --preset or --config, then override fields.")
    p.add_argument("--preset", help="start from this preset (see `presets`; default: the recommended one)")
    p.add_argument("--config", type=Path, help="start from a TrainConfig JSON file")
    p.add_argument("--name", help="run name (default: preset and time)")
    p.add_argument("--notes", default="", help="free-text notes kept with the run")
    p.add_argument("--dry-run", action="store_true",
                   help="print the configuration and the disk space the run will need, then stop")
    add_config_flags(p)

    p = sub.add_parser("sweep", help="train a grid of configs, or search values, ranked by quality",
                       description="A sweep: a base config (--preset, --config or a built-in --study) and "
                                   "values for some fields, as an Optuna study whose trials are ordinary runs "
                                   "ranked by best quality. --set lists make a grid (sampler grid, pruner none: "
                                   "one run per combination); --space ranges or lists make a search. Every "
                                   "train flag sets the base config. Ctrl-C stops the run in progress; "
                                   "`resume NAME` continues.")
    p.add_argument("--preset", help="base: this preset (default: the recommended one)")
    p.add_argument("--config", type=Path, help="base: a TrainConfig JSON file (e.g. a run's config.json)")
    p.add_argument("--study", help="a built-in study: " + ", ".join(_study_names()))
    p.add_argument("--set", action="append", metavar="FIELD=V1,V2",
                   help="values for one field (repeatable; runs are the product). Fields set together: "
                        "FIELD+FIELD=A/B,C/D. Use ; between values that contain commas (widths).")
    p.add_argument("--name", help="the study's name in its storage (default: base and time)")
    p.add_argument("--dry-run", action="store_true", help="print the plan (a grid's runs and time estimate), then stop")
    _add_study_flags(p)
    add_config_flags(p)

    p = sub.add_parser("sweep-worker", help="join a study: train its queued trials until none is left",
                       description="Train queued trials of a study made by `sweep --space … --storage URL` "
                                   "(from any machine that reaches the storage), each as a run in this home.")
    p.add_argument("study", help="the study's name")
    _add_storage_flags(p)
    p.add_argument("--no-wait", action="store_true",
                   help="end when no trial is queued, without waiting for other workers' running trials")

    p = sub.add_parser("sweeps", help="list sweeps and studies")
    _add_storage_flags(p)
    p = sub.add_parser("sweep-show", help="a sweep's runs or a study's trials, ranked by best quality")
    p.add_argument("sweep", help="sweep id, unique id prefix or name; or a study's name")
    p.add_argument("--json", action="store_true", help="print the table as one JSON object")
    _add_storage_flags(p)

    sub.add_parser("runs", help="list runs")
    sub.add_parser("presets", help="list presets")

    p = sub.add_parser("show", help="print a run's config and per-epoch metrics")
    p.add_argument("run", help="run id, unique id prefix or name")

    p = sub.add_parser("resume", help="continue a stopped or finished run, or a sweep")
    p.add_argument("run", help="run id, prefix or name; or a sweep's (study's) name to continue it; or the id "
                               "of a sweep stored before studies (sweep-...)")
    p.add_argument("--epochs", type=int, help="new total number of epochs (more than done so far)")
    p.add_argument("--device", choices=field_specs()["device"].choices, help="override the device")

    p = sub.add_parser("fork", help="a new run from a kept epoch of a run, with changed settings, trained on",
                       description="Fork RUN at epoch E: a new run that starts from E's checkpoint (a kept epoch, "
                                   "the latest or the best) with the networks and optimiser state, some "
                                   "optimisation fields changed, and trains epochs E+1 on like `resume`. Its "
                                   "epochs 1..E show the parent's. Fields that change a network's shape or the "
                                   "data are refused.")
    p.add_argument("run", help="the parent: run id, unique id prefix or name")
    p.add_argument("--epoch", type=epoch_choice, required=True, metavar="E|latest|best",
                   help="the epoch to fork at: a number with a kept checkpoint, latest or best")
    p.add_argument("--set", action="append", metavar="FIELD=VALUE",
                   help="a changed field (repeatable), e.g. --set lr_d=0.0001 --set epochs=20")
    p.add_argument("--name", help="the fork's name (default: the parent's name and the epoch)")

    p = sub.add_parser("sample", help="new images from a run's generator: samples, interpolations, walks",
                       description="Draw images from a run's generator: its best epoch when it keeps one (the "
                                   "lowest Fréchet score, kept as checkpoints/best.pt), else the latest. Without "
                                   "--interpolate or --walk: --count images from --seed. The output kind "
                                   "follows --out's extension (.png: one grid, RGB for a colour run; .npy: "
                                   "an N×H×W float32 array in [0, 1], N×H×W×3 (channels last) for a colour "
                                   "run; a conditional run's labels go beside it as NAME.labels.npy); --out-dir "
                                   "writes one PNG per image. A conditional run (condition: class) draws the "
                                   "class --class asks for, every class (a row each), or a --morph between two.")
    p.add_argument("run")
    p.add_argument("--epoch", type=epoch_choice, metavar="E|latest|best",
                   help="use this epoch's checkpoint, the latest or the best (default: the best when the run keeps "
                        "one, else the latest)")
    p.add_argument("--count", type=int, default=None,
                   help="images (default 64); with --class all, images per class (default 8); with --morph, rows "
                        "(default 4)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--interpolate", type=int, nargs=2, metavar=("SEED_A", "SEED_B"),
                   help="from SEED_A's latent point to SEED_B's (spherical for normal noise)")
    p.add_argument("--walk", type=int, metavar="DIM", help="sweep latent dimension DIM of --seed's point")
    p.add_argument("--class", dest="label", metavar="C|all",
                   help="a conditional run's class to draw (its name or number), or all: a row per class with the "
                        "same latent points (default: class 0)")
    p.add_argument("--morph", nargs=2, metavar=("A", "B"),
                   help="a conditional run: from class A to class B in --steps images at fixed latent points "
                        "(their embeddings interpolated), a row per --count")
    p.add_argument("--range", type=float, nargs=2, default=(-3.0, 3.0), metavar=("A", "B"),
                   help="the values --walk sweeps through (default -3 3)")
    p.add_argument("--steps", type=int, default=10, help="images in an interpolation, a walk or a morph (2 to 256)")
    p.add_argument("--out", type=Path, help="file to write: .png (a grid) or .npy (the raw images)")
    p.add_argument("--out-dir", type=Path, help="folder to write one PNG per image into")

    p = sub.add_parser("evaluate", help="score a run's generator: Fréchet score, precision and recall, "
                                        "density and coverage, class balance, D report",
                       description="Score an epoch checkpoint (latest by default) against the test split and "
                                   "store the result in the run.")
    p.add_argument("run")
    p.add_argument("--epoch", type=int, help="epoch whose checkpoint to score (default: the latest)")
    p.add_argument("--all-epochs", action="store_true", help="score every epoch that has a kept checkpoint")
    p.add_argument("--samples", type=int, default=None, help="generated images to score (default 2000)")
    p.add_argument("--discriminator", action="store_true",
                   help="print the discriminator report (D on the real test split and as many generated images)")
    p.add_argument("--neighbours", action="store_true",
                   help="also measure near-copies of the training set: the share of samples nearer a training "
                        "image than 95%% of held-out images are (stored with the epoch's scores)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")

    p = sub.add_parser("export", help="export config, metrics CSV, grids and generator weights (latest and best)")
    p.add_argument("run")
    p.add_argument("--out", type=Path, help="folder to write into")
    p.add_argument("--gif", type=Path, help="also (or only) write the training as an animated GIF, "
                                            "one frame per epoch")
    p.add_argument("--tensorboard", type=Path, metavar="DIR",
                   help="also (or only) write the run as a TensorBoard log into DIR (needs the tensorboard "
                        "extra); epochs DIR already holds are kept, not written twice")

    p = sub.add_parser("settings", help="show or change app settings (the default data folder)",
                       description="Without options, prints the settings and where data and runs are. "
                                   "WORKBENCH_DATA_DIR, when set, wins over the saved data folder.")
    p.add_argument("--data-dir", help="default folder holding the datasets (torchvision layout); '' clears it")
    p.add_argument("--collapse-class-balance", "--collapse-coverage", type=float, metavar="X",
                   dest="collapse_class_balance",
                   help="flag possible mode collapse when class balance is below X (0 to 1); "
                        "--collapse-coverage, its old name, still works")
    p.add_argument("--collapse-share", type=float, metavar="X",
                   help="flag possible mode collapse when one class takes more than X of samples (0 to 1)")

    p = sub.add_parser("check", help="verify runs: every epoch recorded exactly once, files agreeing",
                       description="Verify one run or all: config valid, metrics lines valid, unique and "
                                   "contiguous, grids and checkpoint agreeing on the epoch, checkpoint loading "
                                   "safely. --repair trims what the latest checkpoint does not cover.")
    p.add_argument("run", nargs="?", help="run id, prefix or name (default: every run)")
    p.add_argument("--repair", action="store_true", help="fix what can be fixed without guessing")

    doctor.add_parser(sub)

    p = sub.add_parser("delete", help="delete a run folder")
    p.add_argument("run")
    p.add_argument("--yes", action="store_true", help="do not ask")
    return parser
