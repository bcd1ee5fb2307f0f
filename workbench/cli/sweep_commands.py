"""Sweep commands: `sweep` (create and train), `sweeps` (list), `sweep-show` (the ranked table)
and `resume` on a sweep id."""

from __future__ import annotations

import json
import time

from workbench.cli import study_commands as studies
from workbench.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_STOPPED,
    EXIT_USAGE,
    CliError,
    fmt,
    score_columns,
    scores_header,
)
from workbench.cli.parser import config_overrides
from workbench.cli.progress import ProgressReporter
from workbench.cli.training import refuse_unusable_data, run_stoppable, train_config_from_args
from workbench.core import words
from workbench.core.config import ConfigError, FieldError, TrainConfig


def _sweep_store():
    from workbench.core.sweeps import SweepStore

    return SweepStore()


def _get(key: str):
    from workbench.core.sweeps import SweepNotFound

    try:
        return _sweep_store().get(key)
    except SweepNotFound as e:
        raise CliError(str(e)) from None


def sweep_plan(args) -> tuple[TrainConfig, list, dict]:
    """(base config, axes, labels) from the flags; every problem of the base and of each --set
    value is collected and raised at once as one ConfigError."""
    from workbench.core.presets import preset_config
    from workbench.core.sweeps import expand, parse_axes, scored_base, study

    errors: list[FieldError] = []
    overrides = config_overrides(args)
    labels = {"study": None, "preset": args.preset}
    axes = []
    if args.study:
        if args.preset or args.config:
            raise CliError("Give --study alone, or --preset/--config with --set; a study has its own base.",
                           EXIT_USAGE)
        try:
            chosen = study(args.study)
        except KeyError as e:
            raise CliError(f"study: {e.args[0]}", EXIT_USAGE) from None
        labels = {"study": chosen.name, "preset": chosen.preset}
        axes = list(chosen.axes)
        base_values = preset_config(chosen.preset).to_dict() | chosen.overrides
    elif not args.set:
        raise CliError("Give the values to sweep with --set FIELD=V1,V2 (repeatable), --study NAME, or search "
                       "with --space FIELD=log:LOW:HIGH (repeatable).",
                       EXIT_USAGE)
    base = None
    try:
        if args.study:
            base = TrainConfig.from_changes(base_values, overrides)
        else:
            base, _ = train_config_from_args(args)
    except ConfigError as e:
        errors += e.errors
    try:
        axes += parse_axes(args.set or [])
    except ConfigError as e:
        errors += e.errors
    if base is not None and not errors:
        base = scored_base(base, axes, keep_off="eval_samples" in overrides)
        try:
            expand(base, axes)
        except ConfigError as e:
            errors += e.errors
    if errors:
        raise ConfigError(errors)
    return base, axes, labels


def cmd_sweep(args) -> int:
    from workbench.core.sweeps import expand

    if args.space:
        return studies.cmd_study(args)
    if args.from_run or args.from_epoch:
        raise CliError("--from RUN --epoch E starts a study's trials from that epoch: give the values with --space "
                       "(e.g. --space lr_g=1e-4,2e-4 --sampler grid for a grid), not --set.", EXIT_USAGE)
    from workbench.core.sweeps.estimate import sweep_seconds

    base, axes, labels = sweep_plan(args)
    points = expand(base, axes)
    refuse_unusable_data([p.config for p in points], download=not args.dry_run)
    print(f"{words.count(len(points), 'run')}: {' × '.join(a.text() for a in axes)}")
    for point in points:
        print(f"  {point.index + 1:>3}. {point.label}")
    seconds, how = sweep_seconds([p.config for p in points], _sweep_store().run_store)
    if seconds is None:
        print(f"No time estimate: {how}.")
    else:  # from the command's start, as the clock sees it: its start-up and the probe are behind it
        so_far = time.monotonic() - getattr(args, "started", time.monotonic())
        print(f"Estimated time: {_duration(so_far + seconds)} ({_duration(seconds)} from now; {how}).")
    if args.dry_run:
        return EXIT_OK
    sweep = _sweep_store().create(base, axes, name=args.name, study=labels["study"], preset=labels["preset"])
    print(f"Sweep {sweep.id} in {sweep.path}")
    return _run(sweep)


def resume_sweep(args) -> int:
    sweep = _get(args.run)
    if args.epochs is not None or args.device:
        raise CliError("resume on a sweep continues its runs as planned; --epochs and --device apply to "
                       "single runs.", EXIT_USAGE)
    done, total = sweep.progress(_sweep_store().run_store)
    if done == total:
        print(f"Sweep {sweep.id}: every run is done ({words.count(total, 'run')}).")
        _print_table(sweep)
        return EXIT_OK
    print(f"Resuming sweep {sweep.id}: {done} of {words.count(total, 'run')} done.")
    return _run(sweep)


def _run(sweep) -> int:
    from workbench.core.sweeps import SweepRunner, SweepStatus

    reporter = ProgressReporter()
    reporter.evaluating = bool(sweep.base().eval_samples)
    runner = SweepRunner(sweep, _sweep_store().run_store)
    ended = run_stoppable(runner.run, reporter)
    print()
    _print_table(sweep)
    return {SweepStatus.FINISHED: EXIT_OK, SweepStatus.STOPPED: EXIT_STOPPED}.get(ended.status, EXIT_FAILED)


def cmd_sweeps(args) -> int:
    store = _sweep_store()
    sweeps = store.sweeps()
    study_lines = studies.list_studies(args.storage)
    if not sweeps and not study_lines:
        print("No sweeps yet. Start one with `gan-workbench sweep --preset NAME --space FIELD=log:LOW:HIGH`, "
              "`gan-workbench sweep --preset NAME --set FIELD=A,B` or `gan-workbench sweep --study NAME`.")
        return EXIT_OK
    print(f"{'id':<27}  {'name':<34}  {'status':<8}  {'runs':>7}  {'best':>8}  best run")
    for line in study_lines:
        print(line)
    for sweep in sweeps:
        try:
            rows = sweep.rows(store.run_store)
            done, total = sweep.progress(store.run_store)
            status = sweep.status(store.run_store)
            name = sweep.name
        except (OSError, ValueError, KeyError) as e:
            print(f"{sweep.id:<27}  (unreadable: {e})")
            continue
        best = rows[0] if rows and rows[0].rank == 1 else None
        print(f"{sweep.id:<27}  {name[:34]:<34}  {status:<8}  {f'{done}/{total}':>7}  "
              f"{fmt(best.best_quality if best else None, '8.3f')}  {best.label if best else '-'}")
    return EXIT_OK


def cmd_sweep_show(args) -> int:
    if args.storage or (not args.sweep.startswith("sweep-") and studies.study_exists(args.sweep)):
        return studies.cmd_study_show(args)
    sweep = _get(args.sweep)
    if args.json:
        rows = sweep.rows(_sweep_store().run_store)
        print(json.dumps({"id": sweep.id, "name": sweep.name, "status": sweep.status(_sweep_store().run_store),
                          "rows": [r.as_json() for r in rows]}))
        return EXIT_OK
    _print_table(sweep)
    return EXIT_OK


def _print_table(sweep) -> None:
    store = _sweep_store().run_store
    rows = sweep.rows(store)
    done, total = sweep.progress(store)
    print(f"Sweep {sweep.id}: {sweep.name} — {sweep.status(store)}, {done} of {words.count(total, 'run')} done "
          f"(ranked by best quality, lower is better)")
    width = max([len(r.label) for r in rows] + [6])
    print(f"{'rank':>4}  {'config':<{width}}  {'status':<9}  {'epochs':>7}  {'best':>8}  {'@ep':>4}  "
          f"{scores_header()}  {'D loss':>8}  {'G loss':>8}  {'time':>8}  run")
    for r in rows:
        print(f"{(r.rank or '-'):>4}  {r.label:<{width}}  {r.status:<9}  {f'{r.epochs_done}/{r.epochs_total}':>7}  "
              f"{fmt(r.best_quality, '8.3f')}  {fmt(r.best_epoch, '4d')}  {score_columns(r.at_best)}  "
              f"{fmt(r.final_d_loss)}  {fmt(r.final_g_loss)}  {_duration(r.train_seconds):>8}  {r.run_id or '-'}")


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"
