"""Which version of the feature classifier scores each kind of dataset now, and which stored
scores came from an older one. Without torch: `show` and the browser read it.

Bump a version when a classifier's layout or training changes: cached classifiers (and their
test statistics and reference marks, under the same key) are then made again, and scores stored
with an older version are reported as such until the run is evaluated again. Every scored
epoch stores the version that judged it (`classifier_version` in metrics.jsonl); scores stored
before it did are taken as older.
"""

from __future__ import annotations

#: the digit sets' classifier (MNIST's, shipped; Fashion-MNIST's and KMNIST's, cached).
#: 3: features that keep the layout (a 1×1 reduction of the last map and a dense layer) instead
#: of global average pooling
CLASSIFIER_VERSION = 3
#: CIFAR-10's (one block more, flipped and shifted training images); 2: the layout-keeping features
CIFAR_CLASSIFIER_VERSION = 2
#: a folder's, trained on its held-out split; 2: the layout-keeping features
FOLDER_CLASSIFIER_VERSION = 2


def current_version(dataset: str) -> int:
    """The classifier version that scores `dataset` now."""
    if dataset == "cifar10":
        return CIFAR_CLASSIFIER_VERSION
    if dataset == "folder":
        return FOLDER_CLASSIFIER_VERSION
    return CLASSIFIER_VERSION


def older_scores(epochs: list[dict], dataset: str) -> list[int]:
    """The epochs (metrics entries) whose stored quality came from an older classifier than the
    one that scores `dataset` now: `evaluate --all-epochs` scores them again."""
    current = current_version(dataset)
    return [e["epoch"] for e in epochs
            if isinstance(e.get("quality"), (int, float)) and e.get("classifier_version") != current]


def describe_older(epochs: list[int], dataset: str) -> str:
    """One sentence about epochs scored by an older classifier; empty when there are none."""
    if not epochs:
        return ""
    shown = ", ".join(map(str, epochs[:8])) + (", …" if len(epochs) > 8 else "")
    which = "epoch" if len(epochs) == 1 else "epochs"
    return (f"The quality of {which} {shown} was scored by an older feature classifier (now version "
            f"{current_version(dataset)}); it does not compare with newer scores until evaluated again.")
