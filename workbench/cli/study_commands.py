"""Every sweep is an Optuna study: `sweep --set …`, `sweep --study NAME` (a grid: sampler grid,
pruner none) and `sweep --space …` (a search) create one, then train it; `sweep-worker` joins a
study from another process or machine; and the study half of `sweeps`, `sweep-show` and
`resume` (the other half, `sweep_commands`, reads the sweeps stored before studies)."""

from __future__ import annotations

import json
import math
import time

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
from workbench.cli.progress import ProgressReporter
from workbench.cli.training import refuse_unusable_data, run_stoppable, train_config_from_args
from workbench.core import words
from workbench.core.config import ConfigError, FieldError, TrainConfig


def _storage(url: str | None, heartbeat: float | None = None):
    from workbench.core.sweeps.study_store import HEARTBEAT_SECONDS, StudyError, open_storage

    try:
        return open_storage(url, heartbeat or HEARTBEAT_SECONDS)
    except StudyError as e:
        raise CliError(str(e), EXIT_USAGE) from None


def _load(name: str, storage):
    from workbench.core.sweeps.study_store import StudyError, load_study

    try:
        return load_study(name, storage)
    except StudyError as e:
        raise CliError(str(e)) from None


def study_plan(args):
    """The checked plan from the flags, a grid (`--set`, `--study`) or a search (`--space`): every
    problem of the base config, the values, sampler, pruner and trial count at once, as one
    ConfigError, before anything is written."""
    from workbench.core.sweeps.grid import scored_base
    from workbench.core.sweeps.study_store import make_plan

    grid = bool(args.set or args.study)
    if grid and args.space:
        raise CliError("Give --set (or --study) for a grid, or --space for a search, not both; a grid over "
                       "--space lists is --space … --sampler grid.", EXIT_USAGE)
    if not grid and not args.space:
        raise CliError("Give the values to sweep with --set FIELD=V1,V2 (repeatable), --study NAME, or search "
                       "with --space FIELD=log:LOW:HIGH (repeatable).", EXIT_USAGE)
    if grid and args.sampler not in (None, "grid"):
        raise CliError(f"--sampler {args.sampler}: a --set grid trains every point (sampler grid); search with "
                       "--space instead.", EXIT_USAGE)
    sampler = "grid" if grid else args.sampler or "tpe"
    pruner = args.pruner or ("none" if sampler == "grid" else "median")
    errors: list[FieldError] = []
    base, start, label, texts = None, None, None, list(args.space or args.set or [])
    try:
        if args.study:
            base, label, texts = _study_base(args)
        elif args.from_run:
            base, label, start = _forked_base(args)
        else:
            base, label = train_config_from_args(args)
    except ConfigError as e:
        errors += e.errors
    minutes = args.minutes_per_trial
    if minutes is not None and (not math.isfinite(minutes) or minutes <= 0):
        errors.append(FieldError("--minutes-per-trial", minutes, "a number of minutes above 0"))
    if minutes is not None and args.field_epochs is not None:
        errors.append(FieldError("--minutes-per-trial", minutes, "either --minutes-per-trial or --epochs"))

    def plan_for(checked_base, name):
        return make_plan(name, checked_base, texts, sampler, pruner, args.trials, args.sampler_seed, lists=grid)

    if base is None or errors:  # the values are still checked, against the default config if need be
        raise ConfigError(errors + _plan_errors(plan_for, base or TrainConfig()))
    base = scored_base(base, keep_off=args.field_eval_samples is not None)
    plan = plan_for(base, args.name or f"{label or 'custom'}-{time.strftime('%Y%m%d-%H%M%S')}")
    if start:
        plan = _starting_from(plan, start)
    if minutes is not None:
        plan = _with_epochs_for(plan, minutes)
    return plan


def _study_base(args):
    """`--study NAME`: (its base config with the flags' fields changed, its name, its axes as
    --set texts and any extra --set)."""
    from workbench.cli.parser import config_overrides
    from workbench.core.sweeps.studies import study

    if args.preset or args.config or args.from_run:
        raise CliError("Give --study alone, or --preset/--config with --set; a study has its own base.",
                       EXIT_USAGE)
    try:
        chosen = study(args.study)
    except KeyError as e:
        raise CliError(f"study: {e.args[0]}", EXIT_USAGE) from None
    base = TrainConfig.from_changes(chosen.base_values(), config_overrides(args))
    return base, chosen.name, chosen.set_texts() + list(args.set or [])


def _forked_base(args):
    """`--from RUN --epoch E`: (the parent's config with the flags' fields changed, its preset,
    {run, epoch}); the fork's own checks (a kept epoch, fields a fork may change) as CliError."""
    from workbench.cli.common import store_get
    from workbench.cli.parser import config_overrides
    from workbench.core.store.forking import ForkError, plan_fork

    if args.preset or args.config:
        raise CliError("--from starts every trial from a run's epoch: give no --preset or --config.", EXIT_USAGE)
    if not args.from_epoch:
        raise CliError("--from RUN needs --epoch E (a kept epoch's number, latest or best).", EXIT_USAGE)
    parent = store_get(args.from_run)
    epoch = int(args.from_epoch) if args.from_epoch.isdigit() else args.from_epoch
    try:
        fork = plan_fork(parent, epoch, config_overrides(args))
    except ForkError as e:
        raise CliError(f"Cannot start a study from {parent.id} at epoch {args.from_epoch}:\n  "
                       + "\n  ".join(e.problems), EXIT_USAGE) from None
    return fork.config, parent.read_info().preset, {"run": parent.id, "epoch": fork.point.epoch}


def _starting_from(plan, start: dict):
    """The plan with every trial forking from `start`; a searched field a fork cannot change
    (a network's shape, the data) is refused by name."""
    from dataclasses import replace

    from workbench.core.store.forking import REFUSED

    refused = [f for d in plan.space for f in d.fields if f in REFUSED]
    if refused:
        raise ConfigError([FieldError("--space", ", ".join(refused),
                                      "fields a fork can change (not a network's shape or the data) with --from")])
    return replace(plan, start=start)


def _plan_errors(plan_for, base) -> list[FieldError]:
    try:
        plan_for(base, "check")
    except ConfigError as e:
        return e.errors
    return []


def _with_epochs_for(plan, minutes: float):
    """The epochs a trial trains in about `minutes` on this machine: the base config's speed,
    measured from stored runs or probed for a couple of seconds; the budget is then fixed in epochs."""
    from dataclasses import replace

    from workbench.core.store.runs import RunStore
    from workbench.core.sweeps.estimate import epoch_seconds, measured_speed, probe_speed

    speed = measured_speed(plan.base, RunStore()) or probe_speed(plan.base)
    seconds = epoch_seconds(plan.base, speed)
    if seconds is None:
        raise CliError(f"--minutes-per-trial: the size of dataset {plan.base.dataset} is not known before it "
                       "is loaded; give --epochs instead.", EXIT_USAGE)
    epochs = max(1, int(minutes * 60 // seconds))
    print(f"{minutes:g} minutes per trial: {words.count(epochs, 'epoch')} at about {seconds:.1f} s each "
          f"({speed.source}).")
    return replace(plan, base=plan.base.with_changes(epochs=epochs))


def cmd_study(args) -> int:
    """`sweep`: make the study (all trials queued), then train it here unless --no-start. A grid's
    points and time estimate are printed first; --dry-run stops there."""
    from workbench.core.sweeps.study_store import StudyError, create_study, free_name, grid_configs

    plan = study_plan(args)
    points = grid_configs(plan) if plan.is_grid else []
    refuse_unusable_data([config for _, config in points] or [plan.base], download=not args.dry_run)
    print(f"Study {plan.name}: {words.count(plan.trials, 'trial')} of {words.count(plan.base.epochs, 'epoch')}, "
          f"sampler {plan.sampler}, pruner {plan.pruner}; {'grid' if plan.is_grid else 'searching'} "
          f"{' × '.join(d.text for d in plan.space) if plan.is_grid else ', '.join(d.text for d in plan.space)}")
    if points:
        _print_points(args, plan, points)
    if args.dry_run:
        return EXIT_OK
    storage = _storage(args.storage, args.heartbeat)
    if not args.name:
        from dataclasses import replace

        plan = replace(plan, name=free_name(storage, plan.name))
    try:
        study = create_study(plan, storage)
    except StudyError as e:
        raise CliError(str(e), EXIT_USAGE) from None
    where = args.storage and f" --storage {args.storage}" or ""
    if args.no_start:
        print(f"Created; nothing trained. Join it with `gan-workbench sweep-worker {plan.name}{where}`.")
        return EXIT_OK
    return _work(study, plan)


def _print_points(args, plan, points) -> None:
    """A grid's runs in trial order, and how long they will take one after another here."""
    from workbench.core.store.runs import RunStore
    from workbench.core.sweeps.estimate import sweep_seconds
    from workbench.core.sweeps.grid import label

    for number, (changes, _config) in enumerate(points):
        print(f"  #{number:<3} {label(changes)}")
    if plan.start or args.no_start:
        return  # forks train from epoch E, and --no-start trains nothing here: no estimate of whole runs here
    seconds, how = sweep_seconds([config for _, config in points], RunStore())
    if seconds is None:
        print(f"No time estimate: {how}.")
    else:  # from the command's start, as the clock sees it: its start-up and the probe are behind it
        so_far = time.monotonic() - getattr(args, "started", time.monotonic())
        print(f"Estimated time: {duration(so_far + seconds)} ({duration(seconds)} from now; {how}).")


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def cmd_sweep_worker(args) -> int:
    storage = _storage(args.storage, args.heartbeat)
    study, plan = _load(args.study, storage)
    refuse_unusable_data([plan.base])
    print(f"Joining study {plan.name}: {words.count(plan.trials, 'trial')}, sampler {plan.sampler}, "
          f"pruner {plan.pruner}.")
    return _work(study, plan, wait_for_others=not args.no_wait)


def resume_study(args) -> int:
    storage = _storage(getattr(args, "storage", None))
    study, plan = _load(args.run, storage)
    return _work(study, plan)


def study_exists(name: str) -> bool:
    """Whether the home's default storage holds a study of that name (without creating the file)."""
    from workbench.core.sweeps.status import sweeps_dir

    if not (sweeps_dir() / "studies.db").is_file():
        return False
    from workbench.core.sweeps.study_store import study_names

    return name in study_names(_storage(None))


def _work(study, plan, wait_for_others: bool = True) -> int:
    from workbench.core.sweeps.status import SweepStatus
    from workbench.core.sweeps.study_worker import StudyWorker

    reporter = ProgressReporter()
    reporter.evaluating = bool(plan.base.eval_samples)
    worker = StudyWorker(study, plan, wait_for_others=wait_for_others)
    ended = run_stoppable(worker.run, reporter)
    print()
    print_study(study, plan)
    return {SweepStatus.FINISHED: EXIT_OK, SweepStatus.STOPPED: EXIT_STOPPED}.get(ended.status, EXIT_FAILED)


def list_studies(url: str | None) -> list[str]:
    """Lines for `sweeps`: one per study in the storage."""
    from workbench.core.sweeps.status import sweeps_dir
    from workbench.core.sweeps.study_store import study_names
    from workbench.core.sweeps.study_table import best_row, study_progress, study_rows, study_status

    if url is None and not (sweeps_dir() / "studies.db").is_file():
        return []
    storage = _storage(url)
    lines = []
    for name in study_names(storage):
        study, plan = _load(name, storage)
        rows = study_rows(study)
        done, total = study_progress(study, plan)
        best = best_row(rows)
        kind = "grid study" if plan.is_grid else f"search, {plan.sampler}"
        lines.append(f"{name[:27]:<27}  {kind:<34}  {study_status(study, plan):<8}  "
                     f"{f'{done}/{total}':>7}  {fmt(best.value if best else None, '8.3f')}  "
                     f"{best.label if best else '-'}")
    return lines


def cmd_study_show(args) -> int:
    storage = _storage(args.storage)
    study, plan = _load(args.sweep, storage)
    if args.json:
        from workbench.core.sweeps.study_table import study_rows, study_status

        print(json.dumps({"id": plan.name, "name": plan.name, "status": study_status(study, plan),
                          "sampler": plan.sampler, "pruner": plan.pruner, "trials": plan.trials,
                          "rows": [r.as_json() for r in study_rows(study)]}))
        return EXIT_OK
    print_study(study, plan)
    return EXIT_OK


def print_study(study, plan) -> None:
    """The trials ranked by best-epoch score, with the other scores at that epoch, the run's time
    and why a trial was pruned or failed."""
    from workbench.core.sweeps.study_table import importances, study_progress, study_rows, study_status

    rows = study_rows(study)
    done, total = study_progress(study, plan)
    print(f"Study {plan.name} — {study_status(study, plan)}, {done} of {words.count(total, 'trial')} done "
          f"(sampler {plan.sampler}, pruner {plan.pruner}; ranked by best-epoch score, lower is better)")
    width = max([len(r.label) for r in rows] + [6])
    print(f"{'rank':>4}  {'trial':>5}  {'values':<{width}}  {'state':<8}  {'epochs':>6}  {'best':>8}  {'@ep':>4}  "
          f"{scores_header()}  {'time':>8}  run / reason")
    for r in rows:
        detail = r.run_id or "-"
        if r.reason:
            detail += f"  ({r.reason})"
        if r.retry_of is not None:
            detail += f"  (retry of #{r.retry_of})"
        print(f"{(r.rank or '-'):>4}  {r.number:>5}  {r.label:<{width}}  {r.state:<8}  "
              f"{'-' if r.epochs_done is None else r.epochs_done:>6}  {fmt(r.value, '8.3f')}  "
              f"{fmt(r.best_epoch, '4d')}  {score_columns(r.at_best)}  {duration(r.train_seconds):>8}  {detail}")
    shares = importances(study)
    if shares:
        print("Parameter importances: " + ", ".join(f"{k} {v:.2f}" for k, v in shares.items()))
