"""`gan-workbench doctor RUN [--json]`: what the training doctor finds in a stored run."""

from __future__ import annotations

import json
import textwrap

from workbench.cli.common import EXIT_OK, EXIT_USAGE, CliError


def add_parser(sub) -> None:
    p = sub.add_parser("doctor", help="name what went wrong in a run (discriminator winning, mode collapse…) "
                                      "with the evidence and config changes to try",
                       description="Read a run's metrics and name the conditions found over windows of epochs "
                                   "and batches: diverged, vanishing G gradient, discriminator winning, mode "
                                   "collapse, generator fooling a weak D, oscillation, stalled. Each comes with "
                                   "its evidence, a confidence and one or two changes to try (config fields).")
    p.add_argument("run", help="run id, unique id prefix or name")
    p.add_argument("--json", action="store_true", help="print the findings as JSON")


def cmd_doctor(args) -> int:
    from workbench.core.doctor import checkup
    from workbench.core.store.runs import RunNotFound, RunStore

    try:
        run = RunStore().get(args.run)
    except RunNotFound as e:
        raise CliError(str(e), EXIT_USAGE) from None
    report = checkup(run)  # a config that does not load raises ConfigError: printed field by field, exit 2
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return EXIT_OK
    print(f"Run {run.id}: {report['epochs']} epoch(s) examined.")
    if not report["diagnoses"]:
        print("No condition found.")
    for d in report["diagnoses"]:
        print(f"\n{d['title']} (from epoch {d['epoch']}, confidence {d['confidence']:.0%})")
        print(textwrap.fill(d["evidence"], 100, initial_indent="  ", subsequent_indent="  "))
        print(textwrap.fill(d["explanation"], 100, initial_indent="  ", subsequent_indent="  "))
        for s in d["suggestions"]:
            delta = ", ".join(f"{k}={v}" for k, v in s["changes"].items()) or "no change: stop here"
            print(f"  try: {s['label']} ({delta})")
    for note in report["notes"]:
        print(f"\nNote: {note}")
    return EXIT_OK
