"""Commands that create, train and manage runs: presets, train, resume, runs, show, export,
delete, settings."""

from __future__ import annotations

import sys
from pathlib import Path

from workbench.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    collapse_judge,
    fmt,
    score_columns,
    scores_header,
    store_get,
)
from workbench.cli.training import (
    describe_devices,
    refuse_unusable_data,
    train_config_from_args,
    train_prepared,
)
from workbench.core import words
from workbench.core.config import ConfigError

LISTED_SCORES = ("precision", "recall", "class_balance")  # `runs` stays narrow; `show` has them all


def cmd_presets(args) -> int:
    from workbench.core.presets import DEFAULT_PRESET, PRESETS

    width = max(len(n) for n in PRESETS) + len(" (default)")
    for name, preset in PRESETS.items():
        label = f"{name} (default)" if name == DEFAULT_PRESET else name
        print(f"{label:<{width}}  {preset.description}")
    return EXIT_OK


def cmd_train(args) -> int:
    config, preset = train_config_from_args(args)
    refuse_unusable_data([config], download=not args.dry_run)
    if args.dry_run:
        return _dry_run(config, preset)

    def create():
        from workbench.core.store.runs import RunStore

        run = RunStore().create(config, name=args.name, notes=args.notes, preset=preset)
        print(f"Run {run.id} ({run.read_info().name}) in {run.path}")
        return config, run

    return train_prepared(create)


def _dry_run(config, preset) -> int:
    from workbench.core import paths
    from workbench.core.store.disk_space import estimate_for_config, shortage

    print(f"preset: {preset or 'custom'}")
    for key, value in config.to_dict().items():
        print(f"  {key}: {value}")
    needed = estimate_for_config(config)
    print(f"disk space: {needed.describe()}")
    problem = shortage(paths.runs_dir(), needed)
    print(problem or f"runs folder: {paths.runs_dir()} has room for it.")
    return EXIT_FAILED if problem else EXIT_OK


def cmd_resume(args) -> int:
    """Continue a stopped or finished run (a sweep id is routed to the sweep commands)."""

    from workbench.core.store.status import RunStatus

    def find():
        run = store_get(args.run)
        config = run.config()
        done = run.read_info().parent_epoch + len(run.metrics().epochs)  # a fork's first E are its parent's
        if args.epochs is not None:
            if args.epochs <= done:
                raise CliError(f"epochs: {args.epochs} is not more than the {words.count(done, 'epoch')} already done; "
                               f"give a larger total.", EXIT_USAGE)
            config = config.with_changes(epochs=args.epochs).check()
        elif done >= config.epochs and run.summary().status is RunStatus.FINISHED:
            raise CliError(f"Run {run.id} already finished its {words.count(config.epochs, 'epoch')}; pass --epochs N "
                           f"with N > {done} to train longer.", EXIT_USAGE)
        if args.device:
            config = config.with_changes(device=args.device)
        print(f"Resuming {run.id} from epoch {done} to {config.epochs}")
        return config, run

    return train_prepared(find)


def cmd_runs(args) -> int:
    from workbench.core.store.runs import RunStore

    summaries = RunStore().summaries()
    if not summaries:
        print("No runs yet. Start one with `gan-workbench train`.")
        return EXIT_OK
    print(f"{'id':<20}  {'name':<24}  {'status':<8}  {'preset':<11}  {'epochs':>9}  "
          f"{'D loss':>8}  {'G loss':>8}  {'quality':>8}  {scores_header(LISTED_SCORES)}  collapse  created")
    collapsed, judge = 0, collapse_judge()
    for s in summaries:
        flag = "-" if not s.class_hist else "possible" if judge(s.class_hist, s.dataset) else "no"
        collapsed += flag == "possible"
        print(f"{s.id:<20}  {s.name[:24]:<24}  {s.status:<8}  {(s.preset or 'custom'):<11}  "
              f"{f'{s.epochs_done}/{s.epochs_total}':>9}  {fmt(s.last_d_loss)}  {fmt(s.last_g_loss)}  "
              f"{fmt(s.quality, '8.3f')}  {score_columns(vars(s), LISTED_SCORES)}  {flag:<8}  "
              f"{s.created[:19].replace('T', ' ')}")
    if collapsed:
        print(f"\ncollapse: possible mode collapse at the last scored epoch ({words.count(collapsed, 'run')}); "
              f"`gan-workbench show RUN` says why, epoch by epoch.")
    return EXIT_OK


def cmd_show(args) -> int:
    run = store_get(args.run)
    s = run.summary()
    print(f"Run {s.id}: {s.name}\nstatus: {s.status}{f' ({s.problem})' if s.problem else ''}\n"
          f"preset: {s.preset or 'custom'}\nfolder: {s.path}")
    if s.parent:
        print(f"forked from: {s.parent} at epoch {run.read_info().parent_epoch} (epochs marked * are its)")
    if s.best:
        print(f"best epoch: {s.best.epoch} (Fréchet score {s.best.quality:.3f}), kept as checkpoints/best.pt")
    try:
        info = run.read_info()
        if info.message:
            print(f"message: {info.message}")
        if info.notes:
            print(f"notes: {info.notes}")
        if info.training:
            print(f"trained on: {_trained_on(info.training)}")
    except (OSError, ValueError):
        pass
    try:
        print("config:")
        for key, value in run.config().to_dict().items():
            print(f"  {key}: {value}")
    except ConfigError as e:
        print(f"  (unreadable: {e})")
    from workbench.core.store.lineage import history

    log = history(run)
    judge = collapse_judge()
    if log.problem:
        print(f"note: {log.problem}")
    print(f"\n{'epoch':>5}  {'D loss':>8}  {'G loss':>8}  {'D(x)':>6}  {'D(G(z))':>7}  {'img/s':>8}  {'sec':>6}"
          f"  {'quality':>8}  {scores_header()}  possible mode collapse")
    for m in log.epochs:
        reason = judge(m.get("class_hist"), s.dataset) or ""
        epoch = f"{m['epoch']}*" if m.get("inherited") else m["epoch"]  # a fork's epochs from its parent
        print(f"{epoch:>5}  {fmt(m.get('d_loss'))}  {fmt(m.get('g_loss'))}  {fmt(m.get('d_real'), '6.3f')}  "
              f"{fmt(m.get('d_fake'), '7.3f')}  {fmt(m.get('images_per_sec'), '8,.0f')}  "
              f"{fmt(m.get('seconds'), '6.1f')}  {fmt(m.get('quality'), '8.3f')}  {score_columns(m)}  "
              f"{reason}".rstrip())
    _show_older_scores(run, log.epochs)
    return EXIT_OK


def _show_older_scores(run, epochs: list[dict]) -> None:
    """Say which epochs' quality an older feature classifier scored (it reads differently)."""
    from workbench.core.evaluation.versions import describe_older, older_scores

    try:
        dataset = run.config().dataset
    except ConfigError:
        return
    text = describe_older(older_scores(epochs, dataset), dataset)
    if text:
        print(f"\n{text} `gan-workbench evaluate {run.id} --all-epochs` scores again those "
              f"with a checkpoint.")


def _trained_on(segments) -> str:
    """run.json's `training` in words: how many processes, where, from which epoch."""
    parts = []
    for seg in segments if isinstance(segments, list) else []:
        if not isinstance(seg, dict):
            continue
        processes, devices = seg.get("processes") or 1, seg.get("devices") or []
        how = (f"1 process ({describe_devices(devices)})" if processes == 1 else
               f"{processes} processes on {words.count(seg.get('nodes') or 1, 'node')}, {seg.get('backend')} "
               f"({describe_devices(devices)})")
        parts.append(f"{how} from epoch {int(seg.get('from_epoch') or 0) + 1}")
    return "; ".join(parts) or "-"


def cmd_export(args) -> int:
    from workbench.core.outputs.animation import write_gif
    from workbench.core.outputs.export import export_run

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
        print(f"{args.gif} ({words.count(frames, 'frame')}, one per epoch)")
    return EXIT_OK


def _export_tensorboard(run, folder: Path) -> None:
    from workbench.core.training.tensorboard_log import (
        INSTALL_HINT,
        TensorBoardMissing,
        export_log,
    )

    try:
        written = export_log(run, folder)
    except TensorBoardMissing as e:
        raise CliError(f"--tensorboard needs TensorBoard, which is not available ({e.reason}): "
                       f"{INSTALL_HINT}.") from None
    print(f"{folder} ({words.count(written, 'new epoch')}; view with: tensorboard --logdir {folder})")


def cmd_delete(args) -> int:
    from workbench.core.store.lineage import children_of, delete_run
    from workbench.core.store.runs import RunLocked, RunStore

    run, store = store_get(args.run), RunStore()
    if not args.yes:
        if not sys.stdin.isatty():
            raise CliError("Refusing to delete without confirmation; pass --yes.", EXIT_USAGE)
        forks = children_of(store, run)
        kept = f" (its {words.count(len(forks), 'fork')}: each keeps a copy of what it inherits)" if forks else ""
        if input(f"Delete run {run.id} and all its files{kept}? [y/N] ").strip().lower() not in ("y", "yes"):
            print("Kept.")
            return EXIT_OK
    try:
        children = delete_run(store, run)
    except RunLocked as e:
        raise CliError(str(e)) from None
    print(f"Deleted {run.id}" + (f"; its forks keep a copy of the epochs they inherited from it: "
                                 f"{', '.join(c.id for c in children)}" if children else ""))
    return EXIT_OK


def cmd_settings(args) -> int:
    from workbench.core import paths
    from workbench.core.evaluation.class_balance import (
        MAX_SHARE_SETTING,
        MIN_BALANCE_SETTING,
        CollapseThresholds,
        save_collapse_setting,
    )

    if args.data_dir is not None:
        value = str(Path(args.data_dir).expanduser().resolve()) if args.data_dir else ""
        paths.save_setting("data_dir", value)
        if value and not Path(value).is_dir():
            print(f"Warning: {value} does not exist yet; it is saved, and datasets will be looked for "
                  f"(or downloaded) there.", file=sys.stderr)
    for flag, key in (("collapse_class_balance", MIN_BALANCE_SETTING), ("collapse_share", MAX_SHARE_SETTING)):
        value = getattr(args, flag)
        if value is not None:
            if not 0 <= value <= 1:
                raise CliError(f"{flag.replace('_', '-')}: {value} is not allowed; expected a number from 0 to 1.",
                               EXIT_USAGE)
            save_collapse_setting(key, value)
    saved = paths.load_settings()
    limits = CollapseThresholds.from_settings()
    print(f"settings file: {paths.settings_file()}")
    print(f"saved data folder: {saved.get('data_dir') or '(none)'}")
    print(f"data folder in use: {paths.data_dir()}")
    print(f"runs folder: {paths.runs_dir()}")
    print(f"possible mode collapse when class balance < {limits.min_class_balance:.2f} "
          f"or one class > {limits.max_share:.0%} of samples")
    return EXIT_OK
