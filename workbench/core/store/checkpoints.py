"""Checkpoint files: written atomically, read only with `torch.load(weights_only=True)`.

A file that is not ours, or that needs arbitrary code to unpickle, is refused with
CheckpointError and nothing in it is executed.
"""

from __future__ import annotations

import io
from pathlib import Path

import torch

from workbench.core.atomic import write_bytes

FORMAT = "gan-workbench-checkpoint"
VERSION = 1
REQUIRED = ("epoch", "generator", "discriminator", "opt_g", "opt_d", "fixed_noise")


class CheckpointError(RuntimeError):
    pass


def save_checkpoint(path: Path, state: dict) -> None:
    buffer = io.BytesIO()
    torch.save({"format": FORMAT, "version": VERSION, **state}, buffer)
    write_bytes(path, buffer.getvalue())


def load_checkpoint(path: Path, device: torch.device | str = "cpu") -> dict:
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"No checkpoint at {path}.")
    try:
        state = torch.load(path, map_location=device, weights_only=True)
    except Exception as e:
        raise CheckpointError(
            f"Refused to load {path.name}: it is not a plain-weights checkpoint "
            f"(safe loading rejected it: {type(e).__name__})."
        ) from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(f"Refused to load {path.name}: it is not a GAN Workbench checkpoint.")
    if state.get("version") != VERSION:
        raise CheckpointError(f"{path.name} has checkpoint version {state.get('version')}; "
                              f"this app reads version {VERSION}.")
    missing = [k for k in REQUIRED if k not in state]
    if missing:
        raise CheckpointError(f"{path.name} is incomplete: missing {', '.join(missing)}.")
    return state
