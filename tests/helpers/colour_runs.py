"""Tiny runs on a folder of written images, in colour or greyscale, for the tests of everything
that shows or writes images (no data set needed; nothing is downloaded)."""

from __future__ import annotations

from pathlib import Path

from helpers.image_files import write_images
from workbench.core.presets import preset_config
from workbench.core.store.runs import Run, RunStore


def folder_run_config(folder: Path, channels: int = 3, **changes):
    """folder-dcgan64 made tiny: 32 px, one-layer MLPs (whose first grids already differ clearly
    between channels, where a barely trained DCGAN draws near-uniform grey), 2 epochs of 3
    batches of 4, every epoch's checkpoint kept."""
    tiny = dict(image_size=32, architecture="mlp", g_widths=[64], d_widths=[64], weight_init="default", batch_size=4,
                epochs=2, max_batches=3, keep_checkpoint_every=1, grid_size=16)
    return preset_config("folder-dcgan64").with_changes(image_folder=str(folder), channels=channels,
                                                        **(tiny | changes))


def train_folder_run(folder: Path, channels: int = 3, name: str | None = None, store: RunStore | None = None,
                     **changes) -> Run:
    """Write two dozen random images into `folder` (if it has none) and train a finished run on them."""
    from workbench.core.training.trainer import Trainer

    if not folder.is_dir():
        write_images(folder, 24)
    config = folder_run_config(folder, channels, **changes)
    run = (store or RunStore()).create(config, name=name or f"folder-{channels}")
    final = Trainer(config, run).fit()
    assert type(final).__name__ == "Finished", final
    return run


def train_scored_run(config, name: str) -> Run:
    """Train a new run of `config` to the end and check that evaluation stayed on throughout."""
    from workbench.core.events import Notice
    from workbench.core.training.trainer import Trainer

    run = RunStore().create(config, name=name)
    events = []
    final = Trainer(config, run).fit(events.append)
    assert type(final).__name__ == "Finished", final
    assert not [e for e in events if isinstance(e, Notice) and "Evaluation is off" in e.message]
    return run
