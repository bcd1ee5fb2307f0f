"""A run's training as an animation: its per-epoch fixed-noise grids as an animated GIF, each
frame labelled with its epoch; several runs side by side under one shared epoch (each shows
its latest grid up to that epoch). Frames are greyscale when every grid is, else RGB (greyscale
grids beside colour ones are converted). Pillow only, no torch."""

from __future__ import annotations

from pathlib import Path

from workbench.core.atomic import write_with

LABEL_HEIGHT = 18
FRAME_MS = 500


def _grid(run, epoch: int):
    from PIL import Image

    shown = [e for e in run.sample_epochs() if e <= epoch]
    if not shown:
        return None
    with Image.open(run.sample_file(shown[-1])) as image:
        return image.convert("L" if image.mode in ("L", "1", "I", "I;16") else "RGB")


def _frame(runs, names, epoch: int):
    from PIL import Image, ImageDraw

    grids = [_grid(run, epoch) for run in runs]
    mode = "RGB" if any(g is not None and g.mode == "RGB" for g in grids) else "L"
    size = max((g.size for g in grids if g is not None), default=(64, 64))
    gap = 8 if len(runs) > 1 else 0
    header = LABEL_HEIGHT * (2 if len(runs) > 1 else 1)
    frame = Image.new(mode, (len(runs) * size[0] + gap * (len(runs) - 1), size[1] + header), 0)
    draw = ImageDraw.Draw(frame)

    def grey(level: int):
        return level if mode == "L" else (level,) * 3

    draw.text((4, 3), f"epoch {epoch}", fill=grey(255))
    for i, (grid, name) in enumerate(zip(grids, names)):
        x = i * (size[0] + gap)
        if len(runs) > 1:
            draw.text((x + 4, LABEL_HEIGHT + 3), name[:40], fill=grey(200))
        if grid is not None:
            frame.paste(grid.convert(mode), (x, header))
    return frame


def write_gif(runs, path, names=None, frame_ms: int = FRAME_MS) -> int:
    """Write the animation of one or several runs (one frame per epoch any of them has);
    returns the number of frames. Raises ValueError when no run has a grid yet."""
    runs = list(runs)
    names = list(names or [r.id for r in runs])
    epochs = sorted({e for run in runs for e in run.sample_epochs()})
    if not epochs:
        raise ValueError("no sample grids to animate yet: train at least one epoch first")
    frames = [_frame(runs, names, e) for e in epochs]
    hold = [frame_ms] * (len(frames) - 1) + [frame_ms * 4]  # linger on the last epoch
    write_with(Path(path), lambda f: frames[0].save(f, format="GIF", save_all=True, append_images=frames[1:],
                                                    duration=hold, loop=0))
    return len(frames)
