"""Class balance of generated images: which classes the feature classifier sees, how evenly,
and whether that looks like mode collapse. Plain Python over a histogram, so the GUI and the
listing can judge stored results without torch.

Releases before the manifold scores called the balance "coverage"; that word now means Naeem
et al.'s coverage (`manifold`), so the settings read the old key too."""

from __future__ import annotations

import math
from dataclasses import dataclass

#: names of the classes, for messages ("digit 1 is 63% of samples")
CLASS_NAMES = {
    "mnist": [f"digit {i}" for i in range(10)],
    "fashion-mnist": ["T-shirt/top", "trouser", "pullover", "dress", "coat", "sandal", "shirt",
                      "sneaker", "bag", "ankle boot"],
    "kmnist": [f"character {i}" for i in range(10)],
}


def class_name(dataset: str, index: int) -> str:
    names = CLASS_NAMES.get(dataset)
    return names[index] if names and 0 <= index < len(names) else f"class {index}"


def class_balance(hist) -> float:
    """The class histogram's normalised entropy (entropy over log(classes)): 1.0 when every
    class is equally frequent, 0.0 when one class takes everything."""
    total = sum(hist)
    if total <= 0 or len(hist) < 2:
        return 0.0
    entropy = -sum((c / total) * math.log(c / total) for c in hist if c > 0)
    return max(0.0, entropy / math.log(len(hist)))


MIN_BALANCE_SETTING, MAX_SHARE_SETTING = "collapse_min_class_balance", "collapse_max_share"
OLD_MIN_BALANCE_SETTING = "collapse_min_coverage"  # what settings.json said before the rename


@dataclass(frozen=True)
class CollapseThresholds:
    """When a run is flagged "possible mode collapse"; user settings (`settings.json`)."""

    min_class_balance: float = 0.90
    max_share: float = 0.30

    @classmethod
    def from_settings(cls) -> CollapseThresholds:
        from workbench.core import paths
        saved = paths.load_settings()
        default = cls()
        balance = saved.get(MIN_BALANCE_SETTING, saved.get(OLD_MIN_BALANCE_SETTING))
        return cls(_fraction(balance, default.min_class_balance),
                   _fraction(saved.get(MAX_SHARE_SETTING), default.max_share))


def save_collapse_setting(key: str, value: float) -> None:
    """Save one threshold (MIN_BALANCE_SETTING or MAX_SHARE_SETTING); saving the balance drops
    the key releases before the rename wrote, so the two can never disagree."""
    from workbench.core import paths

    paths.save_setting(key, value)
    if key == MIN_BALANCE_SETTING:
        paths.save_setting(OLD_MIN_BALANCE_SETTING, None)


def _fraction(value, default: float) -> float:
    return float(value) if isinstance(value, (int, float)) and 0 <= value <= 1 else default


def collapse_reason(class_hist, thresholds: CollapseThresholds | None = None,
                    dataset: str = "mnist") -> str | None:
    """Why the histogram looks collapsed, in words, or None when it does not."""
    thresholds = thresholds or CollapseThresholds()
    total = sum(class_hist or [])
    if total <= 0:
        return None
    top = max(range(len(class_hist)), key=lambda i: class_hist[i])
    share = class_hist[top] / total
    if share > thresholds.max_share:
        return f"{class_name(dataset, top)} is {share:.0%} of samples (limit {thresholds.max_share:.0%})"
    balance = class_balance(class_hist)
    if balance < thresholds.min_class_balance:
        missing = [class_name(dataset, i) for i, c in enumerate(class_hist) if c / total < 0.02]
        detail = f"; rare or missing: {', '.join(missing)}" if missing else ""
        return f"class balance {balance:.2f} is below {thresholds.min_class_balance:.2f}{detail}"
    return None
