"""`fork RUN --epoch E [--set field=value …] [--name NAME]`: a new run from epoch E's checkpoint
of RUN with some fields changed, trained like `resume` trains (`core.store.forking`)."""

from __future__ import annotations

from workbench.cli.common import EXIT_USAGE, CliError, store_get
from workbench.cli.training import refuse_unusable_data, train_prepared


def parse_changes(pairs: list[str] | None) -> dict:
    """`--set field=value` pairs as {field: text}; a pair without `=` is refused (exit 2)."""
    changes = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise CliError(f"--set: {pair!r} is not field=value (e.g. --set lr_d=0.0001).", EXIT_USAGE)
        changes[name.strip().replace("-", "_")] = value.strip()
    return changes


def cmd_fork(args) -> int:
    from workbench.core.store.forking import ForkError, fork_run, plan_fork
    from workbench.core.store.runs import RunStore

    parent = store_get(args.run)
    try:
        plan = plan_fork(parent, args.epoch, parse_changes(args.set))
    except ForkError as e:
        raise CliError(f"Cannot fork {parent.id} at epoch {args.epoch}:\n  " + "\n  ".join(e.problems),
                       EXIT_USAGE) from None
    refuse_unusable_data([plan.config])

    def create():
        run = fork_run(RunStore(), plan, name=args.name)
        changed = ", ".join(f"{k}={v}" for k, v in plan.changed.items()) or "no field changed"
        print(f"Run {run.id} ({run.read_info().name}) in {run.path}\n"
              f"Forked from {parent.id} at epoch {plan.point.epoch} ({changed}); training epochs "
              f"{plan.point.epoch + 1} to {plan.config.epochs}")
        return plan.config, run

    return train_prepared(create)
