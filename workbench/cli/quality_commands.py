"""Commands that judge runs: evaluate (quality scores, the discriminator report) and check
(every epoch recorded exactly once)."""

from __future__ import annotations

from workbench.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_STOPPED,
    EXIT_USAGE,
    SCORES_NOTE,
    CliError,
    collapse_judge,
    fmt,
    score_columns,
    scores_header,
    store_get,
)
from workbench.cli.progress import ProgressReporter
from workbench.core import words


def cmd_evaluate(args) -> int:
    import json

    from workbench.core.config import MIN_EVAL_SAMPLES
    from workbench.core.data.datasets import DatasetMissing
    from workbench.core.evaluation.classifier import EvaluationCancelled
    from workbench.core.evaluation.discriminator import format_report
    from workbench.core.evaluation.run_scores import (
        DEFAULT_SAMPLES,
        evaluate_all_epochs,
        evaluate_run,
        run_discriminator_report,
    )
    from workbench.core.evaluation.versions import describe_older
    from workbench.core.store.checkpoints import CheckpointError
    from workbench.core.store.runs import RunLocked

    samples = DEFAULT_SAMPLES if args.samples is None else args.samples
    if not MIN_EVAL_SAMPLES <= samples <= 50000:
        raise CliError(f"samples: {samples} is not allowed; expected a whole number from {MIN_EVAL_SAMPLES} "
                       f"to 50000.", EXIT_USAGE)
    if args.all_epochs and args.epoch is not None:
        raise CliError("Give either --epoch or --all-epochs, not both.", EXIT_USAGE)
    run = store_get(args.run)
    if args.neighbours:
        from workbench.core.evaluation.run_neighbours import unavailable

        try:
            reason = unavailable(run)
        except ValueError as e:  # an unreadable config
            raise CliError(str(e)) from None
        if reason:
            raise CliError(f"--neighbours: {reason}.", EXIT_USAGE)
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
    if args.neighbours:
        _near_copies(run, results, samples, reporter)
    older = _older_scores(run)
    judge, dataset = collapse_judge(), run.config().dataset
    for r in results:
        r["collapse"] = judge(r.get("class_hist"), dataset)  # the reason in words, or None
    if args.json:
        out = dict(results[-1]) if len(results) == 1 else {"epochs": results}
        if report is not None:
            out["discriminator"] = report
        out["older_scores"] = older  # epochs whose stored score an older classifier made
        print(json.dumps(out))
        return EXIT_OK
    print(f"{'epoch':>5}  {'quality':>9}  {scores_header()}  {'confidence':>10}  class histogram")
    for r in results:
        print(f"{r['epoch']:>5}  {r['quality']:9.3f}  {score_columns(r)}  {r['confidence']:10.3f}  "
              f"{' '.join(str(c) for c in r['class_hist'])}" + (f"  ({r['note']})" if r.get("note") else ""))
    print(f"quality is the Fréchet score against the test split (lower is better); {SCORES_NOTE}.")
    if any(r.get("class_accuracy") is not None for r in results):
        print("Conditional run (samples drawn for every class in turn):")
        for r in results:
            print(f"  epoch {r['epoch']}: class accuracy {r['class_accuracy']:.3f} (asked for a class, the "
                  f"classifier calls it that), intra-class Fréchet score {fmt(r.get('intra_quality'), '.3f')}")
    print(results[-1]["classifier"])
    if results[-1]["marks"]["text"]:
        print(f"Reference marks (the score of real test images spoilt in known ways):\n  "
              f"{results[-1]['marks']['text']}")
    if older:
        print(f"{describe_older(older, run.config().dataset)} `gan-workbench evaluate {run.id} --all-epochs` "
              f"scores again those with a checkpoint.")
    if results[-1]["collapse"]:
        print(f"Possible mode collapse: {results[-1]['collapse']}.")
    if args.neighbours:
        from workbench.core.evaluation.stored import describe_memorisation

        for r in results:
            m = r["memorisation"]
            note = f" ({m['note']})" if m.get("note") else ""
            print(f"Near-copies, epoch {m['epoch']}: {describe_memorisation(m, run.config().dataset)}.{note}")
    if report is not None:
        print()
        print(format_report(report))
    return EXIT_OK


def _near_copies(run, results: list[dict], samples: int, reporter) -> None:
    """Add each scored epoch's near-copies of the training set (`memorisation`), stored with its
    scores; the first time a classifier is used, its training images' features are computed."""
    from workbench.core.data.datasets import DatasetMissing
    from workbench.core.evaluation.classifier import EvaluationCancelled
    from workbench.core.evaluation.run_neighbours import run_memorisation
    from workbench.core.store.checkpoints import CheckpointError
    from workbench.core.store.runs import RunLocked

    progress = reporter.fraction if reporter.tty else None
    try:
        for r in results:
            r["memorisation"] = run_memorisation(run, r["epoch"], samples, progress=progress)
    except (CheckpointError, DatasetMissing, RunLocked, ValueError) as e:
        raise CliError(f"--neighbours: {e}") from None
    except (EvaluationCancelled, KeyboardInterrupt):
        raise CliError("Near-copies cancelled; the scores were stored, the near-copies not.", EXIT_STOPPED) from None
    finally:
        reporter.clear_bar()


def _older_scores(run) -> list[int]:
    """The run's epochs whose stored quality an older feature classifier made."""
    from workbench.core.evaluation.versions import older_scores

    return older_scores(run.metrics().epochs, run.config().dataset)


def cmd_check(args) -> int:
    from workbench.core.store.check import check_run, repair_run
    from workbench.core.store.checkpoints import CheckpointError
    from workbench.core.store.runs import RunLocked, RunStore

    runs = [store_get(args.run)] if args.run else RunStore().runs()
    if not runs:
        print("No runs to check.")
        return EXIT_OK
    bad = 0
    for run in runs:
        result = check_run(run)
        if result.ok:
            print(f"{run.id}: ok ({words.count(result.checkpoint_epoch or 0, 'epoch')})")
            continue
        print(f"{run.id}:")
        for problem in result.problems + result.unfixable:
            print(f"  problem: {problem}")
        if args.repair and result.problems:
            try:
                for change in repair_run(run) or ["nothing needed changing"]:
                    print(f"  repaired: {change}")
            except (RunLocked, CheckpointError) as e:
                print(f"  not repaired: {e}")
            result = check_run(run)
        if not result.ok:
            bad += 1
            if result.problems and not args.repair:
                print("  `gan-workbench check RUN --repair` trims the run to its latest checkpoint.")
    return EXIT_FAILED if bad else EXIT_OK
