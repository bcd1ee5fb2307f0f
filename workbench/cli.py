"""Command line: `gan-workbench` opens the GUI; subcommands train and manage runs headless.

Training flags are derived from TrainConfig's field metadata, so every field is settable here
without being listed twice. Nothing heavy is imported until a command needs it.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from workbench import __version__
from workbench.core.config import ConfigError, TrainConfig, field_specs

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_STOPPED = 0, 1, 2, 130


class CliError(Exception):
    """A user-facing problem: printed as one message, exit status attached."""

    def __init__(self, message: str, status: int = EXIT_FAILED):
        super().__init__(message)
        self.status = status


# ---- argument parsing ----------------------------------------------------------------------

def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def add_config_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per TrainConfig field, typed and described by its FieldSpec."""
    groups = {}
    for name, spec in field_specs().items():
        group = groups.get(spec.group) or groups.setdefault(
            spec.group, parser.add_argument_group(f"{spec.group} (TrainConfig fields)"))
        metavar = {"choice": "{" + ",".join(spec.choices) + "}", "int_list": "N,N,..."}.get(spec.kind, spec.kind.upper())
        group.add_argument(_flag(name), dest=f"field_{name}", metavar=metavar, default=None,
                           help=f"{spec.help} Allowed: {spec.allowed()}.")


def config_overrides(args: argparse.Namespace) -> dict:
    return {name: getattr(args, f"field_{name}") for name in field_specs()
            if getattr(args, f"field_{name}", None) is not None}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gan-workbench",
        description="Train, watch and compare GANs on small image datasets. "
                    "Without a command, opens the desktop app.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("train", help="train a new run headless",
                       description="Train a new run. Start from --preset or --config, then override fields.")
    p.add_argument("--preset", help="start from this preset (see `presets`; default: the recommended one)")
    p.add_argument("--config", type=Path, help="start from a TrainConfig JSON file")
    p.add_argument("--name", help="run name (default: preset and time)")
    p.add_argument("--notes", default="", help="free-text notes kept with the run")
    add_config_flags(p)

    sub.add_parser("runs", help="list runs")
    sub.add_parser("presets", help="list presets")

    p = sub.add_parser("show", help="print a run's config and per-epoch metrics")
    p.add_argument("run", help="run id, unique id prefix or name")

    p = sub.add_parser("resume", help="continue a stopped or finished run")
    p.add_argument("run")
    p.add_argument("--epochs", type=int, help="new total number of epochs (more than done so far)")
    p.add_argument("--device", choices=field_specs()["device"].choices, help="override the device")

    p = sub.add_parser("sample", help="write a grid of new images from a run's generator")
    p.add_argument("run")
    p.add_argument("--count", type=int, default=64)
    p.add_argument("--out", type=Path, required=True, help="PNG file to write")
    p.add_argument("--seed", type=int, default=0)

    p = sub.add_parser("evaluate", help="score a run's generator: Fréchet score, class coverage, D report",
                       description="Score an epoch checkpoint (latest by default) against the test split and "
                                   "store the result in the run.")
    p.add_argument("run")
    p.add_argument("--epoch", type=int, help="epoch whose checkpoint to score (default: the latest)")
    p.add_argument("--all-epochs", action="store_true", help="score every epoch that has a kept checkpoint")
    p.add_argument("--samples", type=int, default=None, help="generated images to score (default 2000)")
    p.add_argument("--discriminator", action="store_true",
                   help="print the discriminator report (D on the real test split and as many generated images)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")

    p = sub.add_parser("export", help="export config, metrics CSV, grids and generator weights")
    p.add_argument("run")
    p.add_argument("--out", type=Path, required=True, help="folder to write into")

    p = sub.add_parser("settings", help="show or change app settings (the default data folder)",
                       description="Without options, prints the settings and where data and runs are. "
                                   "WORKBENCH_DATA_DIR, when set, wins over the saved data folder.")
    p.add_argument("--data-dir", help="default folder holding the datasets (torchvision layout); '' clears it")
    p.add_argument("--collapse-coverage", type=float, metavar="X",
                   help="flag possible mode collapse when class coverage is below X (0 to 1)")
    p.add_argument("--collapse-share", type=float, metavar="X",
                   help="flag possible mode collapse when one class takes more than X of samples (0 to 1)")

    p = sub.add_parser("delete", help="delete a run folder")
    p.add_argument("run")
    p.add_argument("--yes", action="store_true", help="do not ask")
    return parser


# ---- commands --------------------------------------------------------------------------------

def cmd_presets(args) -> int:
    from workbench.core.presets import DEFAULT_PRESET, PRESETS

    width = max(len(n) for n in PRESETS) + len(" (default)")
    for name, preset in PRESETS.items():
        label = f"{name} (default)" if name == DEFAULT_PRESET else name
        print(f"{label:<{width}}  {preset.description}")
    return EXIT_OK


def train_config_from_args(args) -> tuple[TrainConfig, str | None]:
    from workbench.core.presets import DEFAULT_PRESET, PRESETS, matching_preset, preset_config

    if args.preset and args.config:
        raise CliError("Give either --preset or --config, not both.", EXIT_USAGE)
    if args.preset:
        if args.preset not in PRESETS:
            raise CliError(f"preset: {args.preset!r} is not a preset; choose one of {', '.join(PRESETS)}.",
                           EXIT_USAGE)
        base = preset_config(args.preset).to_dict()
    elif args.config:
        base = TrainConfig.load(args.config).to_dict()
    else:
        base = preset_config(DEFAULT_PRESET).to_dict()
    config = TrainConfig.from_dict(base | config_overrides(args))  # flags are strings; from_dict coerces
    return config, matching_preset(config)  # an edited preset is "custom", as in the window


def cmd_train(args) -> int:
    from workbench.core.runs import RunStore

    config, preset = train_config_from_args(args)
    run = RunStore().create(config, name=args.name, notes=args.notes, preset=preset)
    print(f"Run {run.id} ({run.info()['name']}) in {run.path}")
    return _train(config, run)


def cmd_resume(args) -> int:
    run = _store_get(args.run)
    config = run.config()
    done = len(run.metrics().epochs)
    if args.epochs is not None:
        if args.epochs <= done:
            raise CliError(f"epochs: {args.epochs} is not more than the {done} epochs already done; "
                           f"give a larger total.", EXIT_USAGE)
        config = config.with_changes(epochs=args.epochs).check()
    elif done >= config.epochs and run.summary().status == "finished":
        raise CliError(f"Run {run.id} already finished {done}/{config.epochs} epochs; pass --epochs N "
                       f"with N > {done} to train longer.", EXIT_USAGE)
    if args.device:
        config = config.with_changes(device=args.device)
    print(f"Resuming {run.id} from epoch {done} to {config.epochs}")
    return _train(config, run)


def _train(config, run) -> int:
    """Run the trainer in this thread with a progress bar; Ctrl-C stops after the batch."""
    from workbench.core.events import TrainingControl
    from workbench.core.training import Trainer

    control = TrainingControl()
    reporter = ProgressReporter()
    reporter.evaluating = bool(config.eval_samples)

    def on_sigint(signum, frame):
        if control.stopped:
            raise KeyboardInterrupt
        control.stop()
        reporter.note("Stopping after the current batch and saving a checkpoint (Ctrl-C again to abort)…")

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        final = Trainer(config, run).run(reporter, control)
    finally:
        signal.signal(signal.SIGINT, previous)
    name = type(final).__name__
    if name == "Finished":
        return EXIT_OK
    if name == "Stopped":
        return EXIT_STOPPED
    return EXIT_FAILED


class ProgressReporter:
    """Turns trainer events into a progress bar (on a terminal) and one line per epoch."""

    def __init__(self, stream=None):
        self.out = sys.stdout
        self.err = stream or sys.stderr
        self.tty = self.err.isatty()
        self.bar_shown = False
        self.evaluating = False  # set by the caller when the run scores every epoch

    def note(self, text: str) -> None:
        self.clear_bar()
        if text:
            print(text, file=self.err, flush=True)

    def fraction(self, fraction: float, text: str) -> None:
        """A progress line for slow set-up (a classifier training, an evaluation)."""
        if self.tty:
            self.err.write(f"\r{fraction:6.1%} {text}\033[K")
            self.err.flush()
            self.bar_shown = True

    def clear_bar(self) -> None:
        if self.bar_shown:
            self.err.write("\r\033[K")
            self.bar_shown = False

    def __call__(self, event) -> None:
        kind = type(event).__name__
        if kind == "Started":
            print(f"Training on {event.device}: epoch {event.epochs_done + 1} to {event.epochs_total}, "
                  f"{event.batches_per_epoch} batches per epoch", flush=True)
            print(f"{'epoch':>9}  {'D loss':>8}  {'G loss':>8}  {'D(x)':>6}  {'D(G(z))':>7}  {'img/s':>8}"
                  + (f"  {'quality':>8}  {'coverage':>8}" if self.evaluating else ""), flush=True)
        elif kind == "BatchProgress" and self.tty:
            width = 30
            filled = int(width * event.batch / max(event.batches, 1))
            self.err.write(f"\repoch {event.epoch} [{'#' * filled}{'.' * (width - filled)}] "
                           f"{event.batch}/{event.batches}  D {event.d_loss:.3f}  G {event.g_loss:.3f}  "
                           f"{event.images_per_sec:,.0f} img/s\033[K")
            self.err.flush()
            self.bar_shown = True
        elif kind == "Preparing":
            self.fraction(event.fraction, event.message)
        elif kind == "Notice":
            self.note(event.message)
        elif kind == "EpochEnded":
            self.clear_bar()
            scores = event.scores
            quality = (f"  {scores['quality']:8.3f}  {scores['coverage']:8.3f}" if "quality" in scores else "")
            print(f"{event.epoch:>4}/{event.epochs_total:<4}  {event.d_loss:8.4f}  {event.g_loss:8.4f}  "
                  f"{event.d_real:6.3f}  {event.d_fake:7.3f}  {event.images_per_sec:8,.0f}{quality}", flush=True)
        elif kind == "Finished":
            self.clear_bar()
            print(f"Finished: {event.epochs_done} epochs. Run {event.run_id}.", flush=True)
        elif kind == "Stopped":
            self.clear_bar()
            print(f"Stopped: {event.message} Resume with `gan-workbench resume {event.run_id}`.", flush=True)
        elif kind == "Failed":
            self.clear_bar()
            print(f"Failed: {event.message}", file=self.err, flush=True)


def _store_get(key: str):
    from workbench.core.runs import RunNotFound, RunStore

    try:
        return RunStore().get(key)
    except RunNotFound as e:
        raise CliError(str(e)) from None


def _fmt(value, spec="8.4f") -> str:
    width = spec.split('.')[0].rstrip(",")
    return format(value, spec) if isinstance(value, (int, float)) else f"{'-':>{width}}"


def cmd_runs(args) -> int:
    from workbench.core.runs import RunStore

    summaries = RunStore().summaries()
    if not summaries:
        print("No runs yet. Start one with `gan-workbench train`.")
        return EXIT_OK
    print(f"{'id':<20}  {'name':<24}  {'status':<8}  {'preset':<11}  {'epochs':>9}  "
          f"{'D loss':>8}  {'G loss':>8}  {'quality':>8}  {'coverage':>8}  created")
    for s in summaries:
        print(f"{s.id:<20}  {s.name[:24]:<24}  {s.status:<8}  {(s.preset or 'custom'):<11}  "
              f"{f'{s.epochs_done}/{s.epochs_total}':>9}  {_fmt(s.last_d_loss)}  {_fmt(s.last_g_loss)}  "
              f"{_fmt(s.quality, '8.3f')}  {_fmt(s.coverage, '8.3f')}  {s.created[:19].replace('T', ' ')}")
    return EXIT_OK


def cmd_show(args) -> int:
    run = _store_get(args.run)
    s = run.summary()
    print(f"Run {s.id}: {s.name}\nstatus: {s.status}{f' ({s.problem})' if s.problem else ''}\n"
          f"preset: {s.preset or 'custom'}\nfolder: {s.path}")
    try:
        info = run.info()
        if info.get("message"):
            print(f"message: {info['message']}")
        if info.get("notes"):
            print(f"notes: {info['notes']}")
    except (OSError, ValueError):
        pass
    try:
        print("config:")
        for key, value in run.config().to_dict().items():
            print(f"  {key}: {value}")
    except ConfigError as e:
        print(f"  (unreadable: {e})")
    log = run.metrics()
    print(f"\n{'epoch':>5}  {'D loss':>8}  {'G loss':>8}  {'D(x)':>6}  {'D(G(z))':>7}  {'img/s':>8}  {'sec':>6}"
          f"  {'quality':>8}  {'coverage':>8}")
    for m in log.epochs:
        print(f"{m['epoch']:>5}  {_fmt(m.get('d_loss'))}  {_fmt(m.get('g_loss'))}  {_fmt(m.get('d_real'), '6.3f')}  "
              f"{_fmt(m.get('d_fake'), '7.3f')}  {_fmt(m.get('images_per_sec'), '8,.0f')}  {_fmt(m.get('seconds'), '6.1f')}"
              f"  {_fmt(m.get('quality'), '8.3f')}  {_fmt(m.get('coverage'), '8.3f')}")
    return EXIT_OK


def cmd_sample(args) -> int:
    from workbench.core.checkpoints import CheckpointError
    from workbench.core.sampling import generate, save_png

    if not 1 <= args.count <= 1024:
        raise CliError(f"count: {args.count} is not allowed; expected a whole number from 1 to 1024.", EXIT_USAGE)
    run = _store_get(args.run)
    try:
        grid = generate(run, args.count, args.seed)
    except CheckpointError as e:
        raise CliError(str(e)) from None
    save_png(grid, args.out)
    print(f"Wrote {args.count} samples to {args.out}")
    return EXIT_OK


def cmd_export(args) -> int:
    from workbench.core.export import export_run

    run = _store_get(args.run)
    written = export_run(run, args.out)
    for path in written:
        print(path)
    return EXIT_OK


def cmd_delete(args) -> int:
    from workbench.core.runs import RunLocked, RunStore

    run = _store_get(args.run)
    if not args.yes:
        if not sys.stdin.isatty():
            raise CliError("Refusing to delete without confirmation; pass --yes.", EXIT_USAGE)
        if input(f"Delete run {run.id} and all its files? [y/N] ").strip().lower() not in ("y", "yes"):
            print("Kept.")
            return EXIT_OK
    try:
        RunStore().delete(run)
    except RunLocked as e:
        raise CliError(str(e)) from None
    print(f"Deleted {run.id}")
    return EXIT_OK


def cmd_settings(args) -> int:
    from workbench import paths
    from workbench.core.evaluation.coverage import CollapseThresholds

    if args.data_dir is not None:
        value = str(Path(args.data_dir).expanduser().resolve()) if args.data_dir else ""
        paths.save_setting("data_dir", value)
    for flag, key in (("collapse_coverage", "collapse_min_coverage"), ("collapse_share", "collapse_max_share")):
        value = getattr(args, flag)
        if value is not None:
            if not 0 <= value <= 1:
                raise CliError(f"{flag.replace('_', '-')}: {value} is not allowed; expected a number from 0 to 1.",
                               EXIT_USAGE)
            paths.save_setting(key, value)
    saved = paths.load_settings()
    limits = CollapseThresholds.from_settings()
    print(f"settings file: {paths.settings_file()}")
    print(f"saved data folder: {saved.get('data_dir') or '(none)'}")
    print(f"data folder in use: {paths.data_dir()}")
    print(f"runs folder: {paths.runs_dir()}")
    print(f"possible mode collapse when coverage < {limits.min_coverage:.2f} "
          f"or one class > {limits.max_share:.0%} of samples")
    return EXIT_OK


def cmd_evaluate(args) -> int:
    import json

    from workbench.core.checkpoints import CheckpointError
    from workbench.core.config import MIN_EVAL_SAMPLES
    from workbench.core.datasets import DatasetMissing
    from workbench.core.evaluation.classifier import EvaluationCancelled
    from workbench.core.evaluation.discriminator import format_report
    from workbench.core.evaluation.run_scores import (
        DEFAULT_SAMPLES, evaluate_all_epochs, evaluate_run, run_discriminator_report,
    )
    from workbench.core.runs import RunLocked

    samples = DEFAULT_SAMPLES if args.samples is None else args.samples
    if not MIN_EVAL_SAMPLES <= samples <= 50000:
        raise CliError(f"samples: {samples} is not allowed; expected a whole number from {MIN_EVAL_SAMPLES} "
                       f"to 50000.", EXIT_USAGE)
    if args.all_epochs and args.epoch is not None:
        raise CliError("Give either --epoch or --all-epochs, not both.", EXIT_USAGE)
    run = _store_get(args.run)
    reporter = ProgressReporter()
    progress = reporter.fraction if reporter.tty else None
    try:
        if args.all_epochs:
            results = evaluate_all_epochs(run, samples, progress=progress)
        else:
            results = [evaluate_run(run, args.epoch, samples, progress=progress)]
        report = run_discriminator_report(run, args.epoch, progress=progress) if args.discriminator else None
    except (CheckpointError, DatasetMissing, RunLocked, ValueError) as e:
        raise CliError(str(e)) from None
    except (EvaluationCancelled, KeyboardInterrupt):
        raise CliError("Evaluation cancelled; nothing was stored.", EXIT_STOPPED) from None
    finally:
        reporter.clear_bar()
    if args.json:
        out = dict(results[-1]) if len(results) == 1 else {"epochs": results}
        if report is not None:
            out["discriminator"] = report
        print(json.dumps(out))
        return EXIT_OK
    print(f"{'epoch':>5}  {'quality':>9}  {'coverage':>8}  {'confidence':>10}  class histogram")
    for r in results:
        print(f"{r['epoch']:>5}  {r['quality']:9.3f}  {r['coverage']:8.3f}  {r['confidence']:10.3f}  "
              f"{' '.join(str(c) for c in r['class_hist'])}" + (f"  ({r['note']})" if r.get("note") else ""))
    print("quality is the Fréchet score against the test split (lower is better); coverage 1.0 means "
          "every class equally often.")
    from workbench.core.evaluation.coverage import CollapseThresholds, collapse_reason

    reason = collapse_reason(results[-1]["class_hist"], CollapseThresholds.from_settings(), run.config().dataset)
    if reason:
        print(f"Possible mode collapse: {reason}.")
    if report is not None:
        print()
        print(format_report(report))
    return EXIT_OK


COMMANDS = {
    "train": cmd_train, "runs": cmd_runs, "presets": cmd_presets, "show": cmd_show, "resume": cmd_resume,
    "sample": cmd_sample, "export": cmd_export, "evaluate": cmd_evaluate, "delete": cmd_delete, "settings": cmd_settings,
}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        return main_gui()
    try:
        return COMMANDS[args.command](args)
    except ConfigError as e:
        print("Invalid configuration:", file=sys.stderr)
        for error in e.errors:
            print(f"  {error}", file=sys.stderr)
        return EXIT_USAGE
    except CliError as e:
        print(e, file=sys.stderr)
        return e.status
    except KeyboardInterrupt:
        print("Aborted.", file=sys.stderr)
        return EXIT_STOPPED


def main_gui() -> int:
    try:
        from workbench.gui.app import main as gui_main
    except ImportError as e:
        print(f"The desktop app is not available ({e}); use a subcommand, see --help.")
        return EXIT_OK
    return gui_main()
