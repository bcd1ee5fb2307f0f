"""Reference marks: what the Fréchet score reads for real images spoilt in known ways (blurred,
a quadrant swapped, patches erased, …), measured with the classifier that judges a run, so a
score can be read as "between these two". Without torch: the browser and the plots read them.

A set of marks belongs to one classifier and one reference (the dataset's held-out images),
named by the scoring model's `name` (`<cache key>-<classifier id>`), which every scored epoch
stores as `classifier_key`. MNIST's ship inside the package (`mnist-marks.json`, made by
`python benchmarks/reference_marks.py`); any other dataset's or folder's are measured on first
use and cached beside the classifier's test statistics (`<name>-marks.json`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

FORMAT = "gan-workbench-marks"
SHIPPED_FILE = "mnist-marks.json"


@dataclass(frozen=True)
class Mark:
    id: str
    name: str
    score: float


def format_score(score: float) -> str:
    """A score as the marks show it: three digits, thousands grouped (1,297; 25.4; 3.3; 0.09)."""
    if score >= 100:
        return f"{score:,.0f}"
    return f"{score:.2g}" if score < 1 else f"{score:.3g}"


def neighbours(score: float, marks: list[Mark]) -> tuple[Mark | None, Mark | None]:
    """The nearest mark at or below `score` and the nearest above it (None past either end)."""
    ordered = sorted(marks, key=lambda m: m.score)
    below = [m for m in ordered if m.score <= score]
    above = [m for m in ordered if m.score > score]
    return (below[-1] if below else None), (above[0] if above else None)


def describe(score: float, marks: list[Mark]) -> str:
    """`score` in words against the marks, e.g. "1.92: between 'one quadrant swapped' (2.4) and
    'real, blurred σ 0.5' (3.3)"; empty without marks."""
    if not marks or not math.isfinite(score):
        return ""
    below, above = neighbours(score, marks)
    text = f"{format_score(score)}: "
    if below is None:
        return text + f"below '{above.name}' ({format_score(above.score)})"
    if above is None:
        return text + f"above '{below.name}' ({format_score(below.score)})"
    return (text + f"between '{below.name}' ({format_score(below.score)}) and "
                   f"'{above.name}' ({format_score(above.score)})")


def as_json(score: float, marks: list[Mark]) -> dict:
    """The `marks` field of `evaluate --json`: the neighbours of `score` and the words."""
    below, above = neighbours(score, marks)

    def one(m):
        return None if m is None else {"id": m.id, "name": m.name, "score": m.score}

    return {"below": one(below), "above": one(above), "text": describe(score, marks)}


def around(values, marks: list[Mark], margin: float = 2.0) -> list[Mark]:
    """The marks a plot of `values` shows: those within their range widened by the factor
    `margin` each way (a log axis: half the lowest score to twice the highest), so the curves
    keep the plot and the marks near them give it a scale."""
    values = [v for v in values if isinstance(v, (int, float)) and math.isfinite(v) and v > 0]
    if not values or not marks:
        return []
    low, high = min(values) / margin, max(values) * margin
    return sorted((m for m in marks if low <= m.score <= high), key=lambda m: m.score)


def from_json(data) -> list[Mark]:
    """The marks of a marks file's object; [] when it is not one."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return []
    out = []
    for m in data.get("marks") or []:
        try:
            out.append(Mark(str(m["id"]), str(m["name"]), float(m["score"])))
        except (KeyError, TypeError, ValueError):
            continue
    return out


def read_marks_file(path: Path) -> dict | None:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == FORMAT else None


def shipped_marks() -> dict | None:
    """The MNIST marks shipped as package data (the object, with the classifier they belong to)."""
    try:
        text = resources.files("workbench.core.evaluation").joinpath(SHIPPED_FILE).read_text(encoding="utf-8")
        data = json.loads(text)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == FORMAT else None


def cached_marks_path(name: str) -> Path:
    from workbench.core import paths

    return paths.cache_dir() / "classifiers" / f"{name}-marks.json"


_found: dict[str, list[Mark]] = {}  # a classifier's marks never change once measured


def marks_for(name: str | None) -> list[Mark]:
    """The marks of the classifier named `name` (a scored epoch's `classifier_key`): the shipped
    ones when they belong to it, else the cached ones; [] when none were measured here."""
    if not name:
        return []
    if name not in _found:
        shipped = shipped_marks()
        if shipped is not None and shipped.get("classifier") == name:
            found = from_json(shipped)
        else:
            found = from_json(read_marks_file(cached_marks_path(name)))
        if not found:
            return []  # not measured yet: looked for again next time
        _found[name] = found
    return list(_found[name])


def marks_for_epochs(epochs: list[dict]) -> list[Mark]:
    """The marks of the classifier that scored the latest scored epoch of a run's metrics."""
    keys = [e.get("classifier_key") for e in epochs if isinstance(e.get("quality"), (int, float))]
    return marks_for(keys[-1]) if keys else []


def common_marks(runs_epochs: list[list[dict]]) -> list[Mark]:
    """The marks when every scored run's latest score comes from the same classifier, else []
    (a line would mean different things for different curves)."""
    keys = set()
    for epochs in runs_epochs:
        scored = [e.get("classifier_key") for e in epochs if isinstance(e.get("quality"), (int, float))]
        if scored:
            keys.add(scored[-1])
    return marks_for(keys.pop()) if len(keys) == 1 else []
