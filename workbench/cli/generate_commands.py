"""`sample`: new images from a run's generator, any kept epoch (the best by default, when the
run keeps one): samples from a seed, an interpolation between two seeds, a walk along one
latent dimension; a grid PNG, a NumPy array or one PNG per image."""

from __future__ import annotations

from workbench.cli.common import EXIT_OK, EXIT_USAGE, CliError, store_get
from workbench.core import words

MAX_STEPS = 256


def sample_request_errors(args) -> list[str]:
    """Every problem with the options at once, each naming the option and what it allows."""
    from workbench.core.outputs.generation import MAX_IMAGES

    errors = []
    chosen = [flag for flag, given in (("--interpolate", args.interpolate), ("--walk", args.walk is not None),
                                       ("--morph", args.morph), ("--class all", args.label == "all")) if given]
    if len(chosen) == 2:
        errors.append(f"give either {chosen[0]} or {chosen[1]}, not both")
    elif len(chosen) > 2:
        errors.append(f"give one of {', '.join(chosen)}, not several")
    per = 8 if args.label == "all" else 4 if args.morph else 64
    args.count = per if args.count is None else args.count
    if not 1 <= args.count <= MAX_IMAGES:
        errors.append(f"count: {args.count} is not allowed; expected a whole number from 1 to {MAX_IMAGES}")
    if not 2 <= args.steps <= MAX_STEPS:
        errors.append(f"steps: {args.steps} is not allowed; expected a whole number from 2 to {MAX_STEPS}")
    if args.out is None and args.out_dir is None:
        errors.append("out: give --out FILE (.png or .npy) or --out-dir DIR")
    if args.out is not None and args.out.suffix.lower() not in (".png", ".npy"):
        errors.append(f"out: {args.out.name} is not allowed; expected a file name ending in .png or .npy")
    return errors


def sample_epoch(run, asked: int | str | None) -> tuple[int | None, str]:
    """(the epoch to load, None for the latest; how the output names it). No `--epoch` means the
    best epoch when the run keeps one, else the latest; `best` insists on the best."""
    from workbench.core.store.best_epoch import read_best

    best = read_best(run.checkpoints_dir) if asked in (None, "best") else None
    if best is not None:
        return best.epoch, f", the best: Fréchet score {best.quality:.2f}"
    if asked == "best":
        raise CliError(f"Run {run.id} keeps no best epoch: none of its epochs was scored (train with "
                       f"--eval-samples, or `gan-workbench evaluate {run.id}`).")
    return (None if asked in (None, "latest") else asked), ""


def cmd_sample(args) -> int:
    import torch

    from workbench.core.outputs.classes import class_number, every_class, morph
    from workbench.core.outputs.generation import (
        LoadedGenerator,
        interpolation_latents,
        save_images,
        seed_latents,
        walk_latents,
    )
    from workbench.core.store.checkpoints import CheckpointError

    errors = sample_request_errors(args)
    if errors:
        raise CliError("\n".join(errors), EXIT_USAGE)
    run = store_get(args.run)
    epoch, which = sample_epoch(run, args.epoch)
    try:
        loaded = LoadedGenerator(run, epoch)
    except CheckpointError as e:
        raise CliError(str(e)) from None
    config = loaded.config
    labels = embedding = None
    try:
        if (args.label is not None or args.morph) and not loaded.classes:
            class_number([], "", "--morph" if args.morph else "--class")  # says why not
        label = None  # the one class drawn: --class, else a conditional run's class 0
        if loaded.classes and args.label != "all" and not args.morph:
            label = class_number(loaded.classes, 0 if args.label is None else args.label)
        if args.morph:
            a, b = (class_number(loaded.classes, c, "morph") for c in args.morph)
            latents, embedding = morph(loaded, a, b, args.steps, args.count, args.seed)
            what = (f"{words.count(args.count, 'morph')} from class {loaded.classes[a]} to {loaded.classes[b]} "
                    f"(seed {args.seed})")
        elif args.label == "all":
            latents, labels = every_class(loaded, args.count, args.seed)
            what = f"{words.count(args.count, 'sample')} of every class from seed {args.seed}"
        elif args.interpolate:
            latents, what = (interpolation_latents(config, *args.interpolate, args.steps),
                             f"an interpolation from seed {args.interpolate[0]} to {args.interpolate[1]}")
        elif args.walk is not None:
            latents, what = (walk_latents(config, args.seed, args.walk, *args.range, args.steps),
                             f"a walk along dimension {args.walk} from {args.range[0]:g} to {args.range[1]:g}")
        else:
            latents = seed_latents(config, args.count, args.seed)
            what = f"{words.count(args.count, 'sample')} from seed {args.seed}"
        if labels is None and label is not None and embedding is None:
            labels = torch.full((latents.shape[0],), label, dtype=torch.int64)
            what += f" of class {loaded.classes[label]}"
    except ValueError as e:
        raise CliError(str(e), EXIT_USAGE) from None
    images = loaded.render(latents, labels, embedding)
    nrow = (len(images) if (args.interpolate or args.walk is not None) else args.steps if args.morph
            else args.count if args.label == "all" else None)
    save_images(images, args.out, args.out_dir, nrow, labels.numpy() if labels is not None else None)
    where = args.out if args.out is not None else args.out_dir
    print(f"Wrote {what} (epoch {loaded.epoch}{which}, {words.count(len(images), 'image')}) to {where}"
          + (f" and {args.out_dir}" if args.out is not None and args.out_dir is not None else ""))
    return EXIT_OK
