"""Commands that create, train and manage runs: presets, train, resume, runs, show, sample,
export, delete, settings."""

from __future__ import annotations

import math
import signal
import sys
from collections import Counter
from pathlib import Path

from workbench.cli.common import EXIT_FAILED, EXIT_OK, EXIT_STOPPED, EXIT_USAGE, CliError, fmt, store_get
from workbench.cli.parser import config_overrides
from workbench.cli.progress import ProgressReporter
from workbench.core.config import ConfigError, TrainConfig


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
    overrides = config_overrides(args)
    if (overrides.get("dataset", base.get("dataset")) == "folder" and "data_dir" in overrides
            and not overrides.get("image_folder")):
        overrides["image_folder"] = overrides.pop("data_dir")  # `--dataset folder --data-dir DIR`: DIR holds the images
    config = TrainConfig.from_dict(base | overrides)  # flags are strings; from_dict coerces
    return config, matching_preset(config)  # an edited preset is "custom", as in the window


def cmd_train(args) -> int:
    config, preset = train_config_from_args(args)
    if args.dry_run:
        return _dry_run(config, preset)

    def create():
        from workbench.core.runs import RunStore

        run = RunStore().create(config, name=args.name, notes=args.notes, preset=preset)
        print(f"Run {run.id} ({run.info()['name']}) in {run.path}")
        return config, run

    return _train_prepared(create)


def _dry_run(config, preset) -> int:
    from workbench import paths
    from workbench.core.disk_space import estimate_for_config, shortage

    print(f"preset: {preset or 'custom'}")
    for key, value in config.to_dict().items():
        print(f"  {key}: {value}")
    needed = estimate_for_config(config)
    print(f"disk space: {needed.describe()}")
    problem = shortage(paths.runs_dir(), needed)
    print(problem or f"runs folder: {paths.runs_dir()} has room for it.")
    return EXIT_FAILED if problem else EXIT_OK


def cmd_resume(args) -> int:
    if args.run.startswith("sweep-"):
        from workbench.cli.sweep_commands import resume_sweep

        return resume_sweep(args)

    def find():
        run = store_get(args.run)
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
        return config, run

    return _train_prepared(find)


def run_stoppable(work, reporter: ProgressReporter):
    """`work(reporter, control)` in this thread; the first Ctrl-C (or SIGTERM, which is how
    torchrun and job schedulers stop a process) stops after the current batch, saving a
    checkpoint; the second aborts."""
    from workbench.core.events import TrainingControl

    control = TrainingControl()

    def on_signal(signum, frame):
        if control.stopped:
            raise KeyboardInterrupt
        control.stop()
        reporter.note("Stopping after the current batch and saving a checkpoint (Ctrl-C again to abort)…")

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return work(reporter, control)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _train(config, run) -> int:
    """Run the trainer in this thread with a progress bar; Ctrl-C stops after the batch."""
    from workbench.core.training import Trainer

    reporter = ProgressReporter()
    reporter.evaluating = bool(config.eval_samples)
    return _exit_status(run_stoppable(Trainer(config, run).run, reporter))


def _exit_status(final) -> int:
    name = type(final).__name__
    if name == "Finished":
        return EXIT_OK
    if name == "Stopped":
        return EXIT_STOPPED
    return EXIT_FAILED


def _train_prepared(prepare) -> int:
    """Train the run `prepare()` makes or finds (returning (config, run)) in this process, or,
    started by torchrun, as one of its processes: rank 0 prepares the run and writes it, the
    others get its config and train beside it."""
    from workbench.core import distributed

    if not distributed.launched():
        return _train(*prepare())
    with distributed.joined() as group:
        return _train_rank(group, prepare)


def _train_rank(group, prepare) -> int:
    from workbench.core.distributed import FollowerRun, OtherRankFailed
    from workbench.core.training import Trainer

    made = {}

    def on_rank_0():
        made["config"], made["run"] = prepare()
        return made["config"].to_dict(), made["run"].id

    try:
        config_fields, run_id = group.from_writer(on_rank_0)
    except OtherRankFailed:
        return EXIT_FAILED  # rank 0 said why
    config = TrainConfig.from_dict(config_fields)
    run = made.get("run") or FollowerRun(run_id)
    device, problem = group.prepare(config)  # the same answer on every rank
    if problem:
        if group.writes:
            _fail_unstarted(run, problem)
            print(problem, file=sys.stderr)
        return EXIT_FAILED
    if group.writes:
        print(f"{group.world_size} processes on {len({h for h, _ in group.places})} node(s), {group.backend}: "
              f"{_devices(d for _, d in group.places)}; each trains on {config.batch_size // group.world_size} "
              f"images of every batch of {config.batch_size}")
        reporter = ProgressReporter()
        reporter.evaluating = bool(config.eval_samples)
        trainer = Trainer(config, run, device, group=group)
    else:
        reporter = _RankReporter(group.rank)
        trainer = Trainer(config, run, device, progress_interval=math.inf, group=group)  # checks at epoch ends
    status = _exit_status(run_stoppable(trainer.run, reporter))
    if status != EXIT_FAILED:
        group.leave_together()
    return status


def _devices(names) -> str:
    """'cpu ×2' for two processes on CPUs; 'cuda:0, cuda:1' for two GPUs."""
    return ", ".join(f"{d} ×{n}" if n > 1 else d for d, n in Counter(names).items())


class _RankReporter:
    """What a rank other than 0 prints: only why it ended, when it failed (rank 0 reports the rest)."""

    def __init__(self, rank: int):
        self.rank = rank

    def note(self, text: str) -> None:
        pass

    def __call__(self, event) -> None:
        if type(event).__name__ == "Failed":
            print(f"[rank {self.rank}] {event.message}", file=sys.stderr, flush=True)


def _fail_unstarted(run, problem: str) -> None:
    """Mark a run that could not start as failed, unless another process is training it."""
    from workbench.core.runs import RunLocked, now_iso

    try:
        with run.lock():
            run.update_info(status="failed", message=problem, finished=now_iso())
    except RunLocked:
        pass


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
              f"{f'{s.epochs_done}/{s.epochs_total}':>9}  {fmt(s.last_d_loss)}  {fmt(s.last_g_loss)}  "
              f"{fmt(s.quality, '8.3f')}  {fmt(s.coverage, '8.3f')}  {s.created[:19].replace('T', ' ')}")
    return EXIT_OK


def cmd_show(args) -> int:
    run = store_get(args.run)
    s = run.summary()
    print(f"Run {s.id}: {s.name}\nstatus: {s.status}{f' ({s.problem})' if s.problem else ''}\n"
          f"preset: {s.preset or 'custom'}\nfolder: {s.path}")
    try:
        info = run.info()
        if info.get("message"):
            print(f"message: {info['message']}")
        if info.get("notes"):
            print(f"notes: {info['notes']}")
        if info.get("training"):
            print(f"trained on: {_trained_on(info['training'])}")
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
        print(f"{m['epoch']:>5}  {fmt(m.get('d_loss'))}  {fmt(m.get('g_loss'))}  {fmt(m.get('d_real'), '6.3f')}  "
              f"{fmt(m.get('d_fake'), '7.3f')}  {fmt(m.get('images_per_sec'), '8,.0f')}  {fmt(m.get('seconds'), '6.1f')}"
              f"  {fmt(m.get('quality'), '8.3f')}  {fmt(m.get('coverage'), '8.3f')}")
    return EXIT_OK


def _trained_on(segments) -> str:
    """run.json's `training` in words: how many processes, where, from which epoch."""
    parts = []
    for seg in segments if isinstance(segments, list) else []:
        if not isinstance(seg, dict):
            continue
        processes, devices = seg.get("processes") or 1, seg.get("devices") or []
        how = (f"1 process ({_devices(devices)})" if processes == 1 else
               f"{processes} processes on {seg.get('nodes') or 1} node(s), {seg.get('backend')} ({_devices(devices)})")
        parts.append(f"{how} from epoch {int(seg.get('from_epoch') or 0) + 1}")
    return "; ".join(parts) or "-"


def cmd_export(args) -> int:
    from workbench.core.animation import write_gif
    from workbench.core.export import export_run

    if args.out is None and args.gif is None and args.tensorboard is None:
        raise CliError("Give --out DIR (the run as a folder), --gif FILE (its training as an animation), "
                       "--tensorboard DIR (a TensorBoard log), or several.", EXIT_USAGE)
    run = store_get(args.run)
    if args.tensorboard is not None:  # first: without the extra, nothing is written
        _export_tensorboard(run, args.tensorboard)
    if args.out is not None:
        for path in export_run(run, args.out):
            print(path)
    if args.gif is not None:
        try:
            frames = write_gif([run], args.gif)
        except ValueError as e:
            raise CliError(f"Run {run.id}: {e}") from None
        print(f"{args.gif} ({frames} frames, one per epoch)")
    return EXIT_OK


def _export_tensorboard(run, folder: Path) -> None:
    from workbench.core.tensorboard_log import INSTALL_HINT, TensorBoardMissing, export_log

    try:
        written = export_log(run, folder)
    except TensorBoardMissing as e:
        raise CliError(f"--tensorboard needs TensorBoard, which is not available ({e.reason}): "
                       f"{INSTALL_HINT}.") from None
    print(f"{folder} ({written} new epochs; view with: tensorboard --logdir {folder})")


def cmd_delete(args) -> int:
    from workbench.core.runs import RunLocked, RunStore

    run = store_get(args.run)
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
        if value and not Path(value).is_dir():
            print(f"Warning: {value} does not exist yet; it is saved, and datasets will be looked for "
                  f"(or downloaded) there.", file=sys.stderr)
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
