"""run.json read as a typed record: `RunInfo`, what `Run.read_info()` returns.

Reading is tolerant, because run.json outlives releases: a field an older release did not
write takes its default, and a key this release does not know is kept in `extra` (and never
dropped from the file: `Run.update_info` rewrites the whole object with only its changes).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from workbench.core.events import FailureReason
from workbench.core.store.status import RunStatus


@dataclass
class RunInfo:
    id: str = ""
    name: str = ""
    status: RunStatus = RunStatus.DAMAGED  # a run.json without a (known) status lists as damaged
    created: str = ""
    finished: str | None = None  # when it last ended; None while it has not
    preset: str | None = None
    notes: str = ""
    epochs_done: int = 0
    device: str | None = None
    versions: dict = field(default_factory=dict)
    message: str | None = None  # why it failed, in words
    reason: FailureReason | None = None  # why it failed, as a kind
    train_seconds: float | None = None  # summed over every start; None in a file without it
    training: list | None = None  # one entry per way it was trained (distributed.with_segment)
    batches_per_epoch: int | None = None
    setup_seconds: float | None = None  # the last start's time before its first batch
    setup_cold: bool | None = None  # whether that start loaded its images (not kept from a run before)
    classes: list | None = None  # a conditional run's class names, in label order
    sweep: str | None = None  # the sweep's id, on a sweep's runs
    sweep_index: int | None = None
    parent: dict | None = None  # a fork's {"run": parent id, "epoch": E} (`core.store.lineage`)
    study: str | None = None  # the Optuna study's name, on a study's runs
    trial: int | None = None  # its trial number in that study (the latest, when a trial was retried)
    extra: dict = field(default_factory=dict)  # keys this release does not know

    @property
    def diverged(self) -> bool:
        """Its loss went NaN: training it again gives the same NaN, so a sweep does not."""
        return self.reason is FailureReason.DIVERGED

    @property
    def parent_epoch(self) -> int:
        """The epoch a fork starts after (its epochs 1..E are its parent's); 0 for any other run."""
        epoch = self.parent.get("epoch") if isinstance(self.parent, dict) else None
        return epoch if isinstance(epoch, int) and epoch > 0 else 0

    @property
    def parent_run(self) -> str | None:
        run = self.parent.get("run") if isinstance(self.parent, dict) else None
        return run if isinstance(run, str) and run else None

    @classmethod
    def from_dict(cls, data: dict) -> RunInfo:
        """Missing keys take their defaults; unknown ones go to `extra`. Releases before `reason`
        marked a diverged run only with `diverged: true`, which reads as reason DIVERGED; this
        release writes both (`Run.record_failure`), so those releases still skip it in sweeps."""
        known = {f.name for f in fields(cls)} - {"extra"}
        info = cls(**{k: v for k, v in data.items() if k in known},
                   extra={k: v for k, v in data.items() if k not in known and k != "diverged"})
        info.status = RunStatus.read(data.get("status"))
        if "reason" in data:  # written by this release (None once a run starts again)
            info.reason = _reason(data["reason"])
        elif data.get("diverged") is True:
            info.reason = FailureReason.DIVERGED
        return info


def _reason(value) -> FailureReason | None:
    try:
        return FailureReason(value) if value is not None else None
    except ValueError:  # a kind a newer release knows: the message still says what happened
        return None
