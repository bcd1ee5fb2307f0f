"""Sweep commands: `sweep` makes every sweep as a study (`study_commands`); `sweeps` lists the
studies and the sweeps stored before studies; `sweep-show` and `resume` take either. The old
sweeps (`sweeps/<id>/sweep.json`) are read as they are, through the core's legacy reader."""

from __future__ import annotations

import json

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
from workbench.cli.progress import ProgressReporter
from workbench.cli.training import run_stoppable
from workbench.core import words


def _sweep_store():
    from workbench.core.sweeps.legacy_store import SweepStore

    return SweepStore()


def _get(key: str):
    from workbench.core.sweeps.legacy_store import SweepNotFound

    try:
        return _sweep_store().get(key)
    except SweepNotFound as e:
        raise CliError(str(e)) from None


def resume_sweep(args) -> int:
    """`resume sweep-…`: an old sweep continues with the legacy runner, as it was trained."""
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
    from workbench.core.sweeps.legacy_runner import SweepRunner
    from workbench.core.sweeps.status import SweepStatus

    reporter = ProgressReporter()
    reporter.evaluating = bool(sweep.base().eval_samples)
    ended = run_stoppable(SweepRunner(sweep, _sweep_store().run_store).run, reporter)
    print()
    _print_table(sweep)
    return {SweepStatus.FINISHED: EXIT_OK, SweepStatus.STOPPED: EXIT_STOPPED}.get(ended.status, EXIT_FAILED)


def cmd_sweeps(args) -> int:
    store = _sweep_store()
    sweeps = store.sweeps()
    study_lines = studies.list_studies(args.storage)
    if not sweeps and not study_lines:
        print("No sweeps yet. Start one with `gan-workbench sweep --preset NAME --set FIELD=A,B`, "
              "`gan-workbench sweep --study NAME` or `gan-workbench sweep --preset NAME --space FIELD=log:LOW:HIGH`.")
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
    if args.storage or studies.study_exists(args.sweep):
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
              f"{fmt(r.final_d_loss)}  {fmt(r.final_g_loss)}  {studies.duration(r.train_seconds):>8}  "
              f"{r.run_id or '-'}")
