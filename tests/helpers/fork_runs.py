"""A parent run for the fork tests: `mlp-small` (the smallest networks: batches, noise and the
fixed grid still come from the run's random stream, which an exact fork must continue), 4 epochs
of 3 batches, every epoch kept; trained once per session and copied into each test's home."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from workbench.core.presets import preset_config
from workbench.core.store.runs import Run

PARENT_CONFIG = dict(epochs=4, max_batches=3, keep_checkpoint_every=1, device="cpu")
_template: Path | None = None


def parent_config():
    return preset_config("mlp-small").with_changes(**PARENT_CONFIG)


def trained_parent(home: Path) -> Run:
    """A copy, in `home`/runs, of a parent trained to epoch 4 (needs MNIST in the environment)."""
    global _template
    if _template is None:
        from workbench.core.store.runs import RunStore
        from workbench.core.training.trainer import Trainer

        root = Path(tempfile.mkdtemp(prefix="workbench-fork-parent-"))
        atexit.register(shutil.rmtree, root, True)
        run = RunStore(root).create(parent_config(), name="parent", preset="mlp-small")
        assert type(Trainer(parent_config(), run).fit()).__name__ == "Finished"
        _template = run.path
    target = home / "runs" / _template.name
    shutil.copytree(_template, target)
    return Run(target)


def folders(home: Path) -> list[str]:
    """Every file under `home`/runs, to show that a refused fork wrote nothing."""
    root = home / "runs"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []
