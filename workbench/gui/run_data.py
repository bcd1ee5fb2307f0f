"""What the Runs tab and the compare view read from a run folder beyond its summary.

Plain Python (no Qt, no torch) and tolerant of damage, so both views import it without
pulling in each other's widgets.
"""

from __future__ import annotations

import json

from workbench.core.store.runs import Run


def read_config_dict(run: Run) -> tuple[dict, str | None]:
    """The run's config.json as a dict, tolerant of damage (then with the reason)."""
    try:
        data = json.loads(run.config_file.read_text(encoding="utf-8"))
        return (data, None) if isinstance(data, dict) else ({}, "config.json is not an object")
    except FileNotFoundError:
        return {}, "config.json is missing"
    except (OSError, ValueError) as e:
        return {}, f"config.json is unreadable ({e})"


def epoch_curves(epochs: list[dict]) -> dict[str, tuple[list, list]]:
    """Per-epoch D and G losses, and the per-batch traces spread over each epoch."""
    out = {"d": ([], []), "g": ([], []), "batch_d": ([], []), "batch_g": ([], [])}
    for e in epochs:
        epoch = e.get("epoch")
        for key in ("d", "g"):
            value = e.get(f"{key}_loss")
            if isinstance(value, (int, float)):
                out[key][0].append(epoch)
                out[key][1].append(value)
            trace = e.get(f"batch_{key}_loss") or []
            n = len(trace)
            for i, v in enumerate(trace):
                out[f"batch_{key}"][0].append(epoch - 1 + (i + 1) / n)
                out[f"batch_{key}"][1].append(v)
    return out
