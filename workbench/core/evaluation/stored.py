"""Reading what evaluation stored in a run folder, without torch (the browser lists and shows
runs before torch is loaded)."""

from __future__ import annotations

import json

REPORT_FILE = "discriminator.json"
REPORT_KEYS = ("bins", "real_hist", "fake_hist", "precision", "recall", "f1")
#: an epoch's near-copies in its metrics line: {ratio, threshold, baseline, samples, epoch, classifier_key}
MEMORISATION_KEY = "memorisation"


def stored_discriminator_report(run) -> dict | None:
    """The run's last discriminator report, or None when there is none or it cannot be read."""
    try:
        report = json.loads((run.path / REPORT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return report if isinstance(report, dict) and all(k in report for k in REPORT_KEYS) else None


def stored_memorisation(entry: dict) -> dict | None:
    """The near-copies measurement stored in an epoch's metrics entry, or None when it has none
    (not measured) or it cannot be read."""
    value = entry.get(MEMORISATION_KEY)
    numbers = all(isinstance(value.get(k), (int, float)) for k in ("ratio", "threshold", "baseline", "samples")) \
        if isinstance(value, dict) else False
    return value if numbers else None


def describe_memorisation(value: dict, dataset: str = "mnist") -> str:
    """The near-copies measurement in one sentence, e.g. "3.1% of 2,000 samples are nearer a
    training digit than 95% of held-out digits are (held-out digits: 5%)"."""
    noun = "digit" if dataset == "mnist" else "image"
    return (f"{value['ratio']:.1%} of {int(value['samples']):,} samples are nearer a training {noun} than "
            f"{1 - value['baseline']:.0%} of held-out {noun}s are (held-out {noun}s: {value['baseline']:.0%})")
