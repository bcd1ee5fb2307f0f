"""Command line: `gan-workbench` opens the GUI; subcommands train and manage runs headless.

The parser (`parser`), the commands (`run_commands`, `fork_commands`, `sweep_commands`,
`generate_commands`, `quality_commands`, `doctor_commands`), training from a terminal
(`training`) and its progress (`progress`) live in their own modules. Nothing heavy is imported until a command
needs it.
"""

from __future__ import annotations

import os
import sys
import time

from workbench.cli import doctor_commands as doctor
from workbench.cli import fork_commands as forks
from workbench.cli import generate_commands as generate
from workbench.cli import quality_commands as quality
from workbench.cli import run_commands as runs
from workbench.cli import study_commands as studies
from workbench.cli import sweep_commands as sweeps
from workbench.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_STOPPED,
    EXIT_USAGE,
    CliError,
)
from workbench.cli.parser import build_parser, with_flag
from workbench.core.config import ConfigError


def resume(args) -> int:
    """`resume ID`: a study's name continues the study, the id of a sweep stored before studies
    (sweep-...) that sweep, anything else a run."""
    if args.epochs is None and not args.device and studies.study_exists(args.run):
        return studies.resume_study(args)
    if args.run.startswith("sweep-"):
        return sweeps.resume_sweep(args)
    return runs.cmd_resume(args)


COMMANDS = {
    "train": runs.cmd_train, "runs": runs.cmd_runs, "presets": runs.cmd_presets, "show": runs.cmd_show,
    "resume": resume, "sample": generate.cmd_sample, "export": runs.cmd_export, "delete": runs.cmd_delete,
    "settings": runs.cmd_settings, "evaluate": quality.cmd_evaluate, "check": quality.cmd_check,
    "fork": forks.cmd_fork, "sweep": studies.cmd_study, "sweeps": sweeps.cmd_sweeps,
    "sweep-show": sweeps.cmd_sweep_show, "sweep-worker": studies.cmd_sweep_worker,
    "doctor": doctor.cmd_doctor,
}

DISTRIBUTED_COMMANDS = ("train", "resume")  # what torchrun may start on several processes

__all__ = ["main", "main_gui", "build_parser", "CliError", "EXIT_OK", "EXIT_FAILED", "EXIT_USAGE", "EXIT_STOPPED"]


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.started = time.monotonic()  # what a command's own time estimate counts from
    if args.command is None:
        return main_gui()
    if args.command not in DISTRIBUTED_COMMANDS and "RANK" in os.environ and _under_torchrun():
        print(f"`{args.command}` runs on one process; under torchrun only train and resume do "
              f"(start `gan-workbench {args.command}` without torchrun).", file=sys.stderr)
        return EXIT_USAGE
    try:
        return COMMANDS[args.command](args)
    except ConfigError as e:
        print("Invalid configuration:", file=sys.stderr)
        for error in e.errors:
            print(f"  {with_flag(error)}", file=sys.stderr)
        return EXIT_USAGE
    except CliError as e:
        print(e, file=sys.stderr)
        return e.status
    except OSError as e:  # a path the user chose, or the app's home, cannot be written
        from workbench.core.atomic import describe_write_error

        print(describe_write_error(e, getattr(e, "filename", None)), file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("Aborted.", file=sys.stderr)
        return EXIT_STOPPED


def _under_torchrun() -> bool:
    from workbench.core.training.distributed import (
        launched,  # torch loads only when torchrun started us
    )

    return launched()


def main_gui() -> int:
    try:
        from workbench.gui.app import main as gui_main
    except ImportError as e:
        print(f"The desktop app is not available ({e}); use a subcommand, see --help.")
        return EXIT_OK
    return gui_main()
