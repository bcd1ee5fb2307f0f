"""What the doctor says about a run: a named condition, the evidence in words, how sure it is,
and one or two changes to try, each a config delta (fields → values) checked against
`TrainConfig`, so "Try this" can fork a run with it and never with a field that does not exist."""

from __future__ import annotations

from dataclasses import dataclass, field

from workbench.core.config import ConfigError, TrainConfig, field_names


@dataclass(frozen=True)
class Condition:
    """A condition's name for people, how bad it is (`problem`, `warning`, `info`: the chip's
    colour) and what it means, in words a learner can read."""

    key: str
    title: str
    severity: str
    explanation: str


CONDITIONS: dict[str, Condition] = {c.key: c for c in (
    Condition("diverged", "Diverged", "problem",
              "The losses became infinite, not-a-number or thousands of times their normal size: the "
              "networks' weights blew up and nothing more will be learnt from here."),
    Condition("vanishing_g_gradient", "Vanishing G gradient", "problem",
              "D is so sure the fakes are fake that its sigmoid output is stuck at 0, where the BCE loss "
              "is flat: the generator gets almost no gradient and stops learning."),
    Condition("discriminator_winning", "Discriminator winning", "problem",
              "D tells real from fake almost perfectly (D(x) near 1, D(G(z)) near 0) and the generator's loss "
              "is high: G is losing the game and learns slowly or not at all."),
    Condition("mode_collapse", "Mode collapse", "problem",
              "The generator draws fewer kinds of image than the data holds: some classes are rare or "
              "missing, or one class takes over. It found a few images that fool D and stays there."),
    Condition("weak_discriminator", "Generator fooling a weak D", "warning",
              "D outputs about 0.5 for real and fake alike, yet the images are still poor: D has stopped "
              "telling them apart, so it no longer shows the generator what to improve."),
    Condition("oscillation", "Oscillation", "warning",
              "The quality score moves up and down from epoch to epoch by more than its measuring noise: "
              "the two networks chase each other instead of settling."),
    Condition("stalled", "Stalled", "info",
              "The best quality score has not improved for several epochs: more epochs of the same "
              "training are unlikely to help."),
)}
#: the order findings are listed in: the worst first
ORDER = list(CONDITIONS)


@dataclass(frozen=True)
class Suggestion:
    """One change to try. `changes` is a config delta (field → value); empty means stop here."""

    label: str
    changes: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"label": self.label, "changes": dict(self.changes)}


@dataclass(frozen=True)
class Diagnosis:
    """One named condition, found over a window of epochs (or of an epoch's batches)."""

    condition: str  # a key of CONDITIONS
    epoch: int  # the first epoch where it held
    last_epoch: int  # the last epoch where it held (it may have passed since)
    evidence: str  # the signals, in words with numbers and epochs
    confidence: float  # 0..1
    suggestions: tuple[Suggestion, ...] = ()

    @property
    def info(self) -> Condition:
        return CONDITIONS[self.condition]

    def to_dict(self) -> dict:
        return {"condition": self.condition, "title": self.info.title, "severity": self.info.severity,
                "epoch": self.epoch, "last_epoch": self.last_epoch, "evidence": self.evidence,
                "confidence": round(self.confidence, 2), "explanation": self.info.explanation,
                "suggestions": [s.to_dict() for s in self.suggestions]}


STOP = Suggestion("Stop: the best epoch is kept")


def suggestion(config: TrainConfig, label: str, **changes) -> Suggestion | None:
    """A suggestion whose delta is valid for `config` (known fields, allowed values), or None
    (a learning rate × 2 past its maximum, say). An unknown field is a bug: it raises."""
    unknown = [k for k in changes if k not in field_names()]
    if unknown:
        raise KeyError(f"not TrainConfig fields: {', '.join(unknown)}")
    if all(getattr(config, k) == v for k, v in changes.items()):
        return None  # already so: nothing to change
    try:
        TrainConfig.from_dict(config.to_dict() | changes)
    except ConfigError:
        return None
    return Suggestion(label, dict(changes))


def first_two(*candidates: Suggestion | None) -> tuple[Suggestion, ...]:
    """The first two suggestions that apply to this run."""
    return tuple(s for s in candidates if s is not None)[:2]
