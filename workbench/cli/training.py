"""Training from the command line, shared by the run and sweep commands: the config the flags
describe, Ctrl-C and SIGTERM as a Stop, one process or one of torchrun's, and the exit status a
training's last event gives."""

from __future__ import annotations

import math
import signal
import sys
from collections import Counter

from workbench.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_STOPPED,
    EXIT_USAGE,
    CliError,
)
from workbench.cli.parser import config_overrides
from workbench.cli.progress import ProgressReporter
from workbench.core import words
from workbench.core.config import TrainConfig


def train_config_from_args(args) -> tuple[TrainConfig, str | None]:
    from workbench.core.presets import (
        PRESETS,
        matching_preset,
        preset_config,
    )

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
        base = None
    overrides = config_overrides(args)
    if base is None:
        base = default_base(overrides)
    if (overrides.get("dataset", base.get("dataset")) == "folder" and "data_dir" in overrides
            and not overrides.get("image_folder")):
        overrides["image_folder"] = overrides.pop("data_dir")  # `--dataset folder --data-dir DIR`: DIR holds the images
    if overrides.get("dataset", base.get("dataset")) == "folder":
        from workbench.core.data.training_data import with_images_channels

        overrides = with_images_channels(base, overrides)
    config = TrainConfig.from_changes(base, overrides)  # flags are strings, coerced; the widths follow them
    return config, matching_preset(config)  # an edited preset is "custom", as in the window


def default_base(overrides: dict) -> dict:
    """The base of a `train` without --preset or --config: the default preset, unless the flags
    ask for an image size its networks cannot draw (the default's `dcgan-small` networks draw
    28 px only); then `cpu-fast`, the previous default, whose `dcgan` layout takes 28, 32 and 64."""
    from workbench.core.geometry import allowed_sizes
    from workbench.core.presets import DEFAULT_PRESET, FALLBACK_PRESET, preset_config

    base = preset_config(DEFAULT_PRESET).to_dict()
    size = overrides.get("image_size")
    if size is not None and "architecture" not in overrides:
        try:
            size = int(size)
        except (TypeError, ValueError):
            return base  # refused with its flag's message when the config is made
        if size not in allowed_sizes(base["architecture"]):
            return preset_config(FALLBACK_PRESET).to_dict()
    return base


def refuse_unusable_data(configs, download: bool = True) -> None:
    """Data that cannot train (an image folder missing, empty or smaller than a batch, a
    dataset's files missing where they cannot be downloaded) is refused, exit status 2, before
    a run or sweep is made; with `download`, missing files are downloaded now when they can be."""
    from workbench.core.data.training_data import data_problem
    from workbench.core.training.distributed import launched

    seen = set()
    for config in configs:
        data = (config.dataset, config.data_dir, config.image_folder, config.batch_size, config.condition)
        if data not in seen:
            seen.add(data)
            problem = data_problem(config, download and not launched())  # one download, not one per process
            if problem:
                raise CliError(problem, EXIT_USAGE)


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
    from workbench.core.training.trainer import Trainer

    reporter = ProgressReporter()
    reporter.evaluating = bool(config.eval_samples)
    return _exit_status(run_stoppable(Trainer(config, run).fit, reporter))


def _exit_status(final) -> int:
    name = type(final).__name__
    if name == "Finished":
        return EXIT_OK
    if name == "Stopped":
        return EXIT_STOPPED
    return EXIT_FAILED


def train_prepared(prepare) -> int:
    """Train the run `prepare()` makes or finds (returning (config, run)) in this process, or,
    started by torchrun, as one of its processes: rank 0 prepares the run and writes it, the
    others get its config and train beside it."""
    from workbench.core.training import distributed
    if not distributed.launched():
        return _train(*prepare())
    with distributed.joined() as group:
        return _train_rank(group, prepare)


def _train_rank(group, prepare) -> int:
    from workbench.core.training.distributed import FollowerRun, OtherRankFailed
    from workbench.core.training.trainer import Trainer

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
        nodes = words.count(len({h for h, _ in group.places}), "node")
        print(f"{group.world_size} processes on {nodes}, {group.backend}: "
              f"{describe_devices(d for _, d in group.places)}; each trains on {config.batch_size // group.world_size} "
              f"images of every batch of {config.batch_size}")
        reporter = ProgressReporter()
        reporter.evaluating = bool(config.eval_samples)
        trainer = Trainer(config, run, device, group=group)
    else:
        reporter = _RankReporter(group.rank)
        trainer = Trainer(config, run, device, progress_interval=math.inf, group=group)  # checks at epoch ends
    status = _exit_status(run_stoppable(trainer.fit, reporter))
    if status != EXIT_FAILED:
        group.leave_together()
    return status


def describe_devices(names) -> str:
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
    from workbench.core.events import FailureReason
    from workbench.core.store.runs import RunLocked

    try:
        with run.lock():
            run.record_failure(FailureReason.SETUP_FAILED, problem)
    except RunLocked:
        pass
