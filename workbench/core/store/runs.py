"""The run store: one plain folder per run, readable without torch.

    <home>/runs/<run-id>/
        config.json     the TrainConfig
        run.json        name, status, times, device, versions, epochs done, notes
        metrics.jsonl   one JSON line per finished epoch, appended and flushed
        samples/epoch-NNNN.png
        checkpoints/latest.pt (+ epoch-NNNN.pt kept by policy, best.pt and best.json: the best epoch)
        .lock           held (flock) by the process that trains the run

A run whose files are missing or half-written is reported as "damaged", never raised.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from workbench.core import paths, words
from workbench.core.atomic import append_line, write_bytes, write_json
from workbench.core.config import TrainConfig
from workbench.core.events import FailureReason
from workbench.core.file_locks import blocking_lock, held_lock, lock_is_held
from workbench.core.store.best_epoch import BestEpoch, read_best, trim_best
from workbench.core.store.run_info import RunInfo
from workbench.core.store.scores import conditional_scores_of, current_names, scores_of
from workbench.core.store.status import RunStatus


class RunNotFound(LookupError):
    pass


class RunLocked(RuntimeError):
    """Another process (or thread) is training this run; it may be read, not written."""


def now_iso() -> str:
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")


def parse_iso(text: str | None) -> float | None:
    try:
        return datetime.fromisoformat(text).timestamp() if text else None
    except ValueError:
        return None


@dataclass
class MetricsLog:
    """The epochs read from metrics.jsonl, and why the file is damaged if it is."""

    epochs: list[dict] = field(default_factory=list)  # one per epoch, ascending: the last line of each wins
    problem: str | None = None
    repeated: int = 0  # lines of an epoch already recorded (a run damaged before repairs existed)


@dataclass
class RunSummary:
    """What the browser and `runs` list: read from the JSON files only."""

    id: str
    name: str
    status: RunStatus
    preset: str | None
    dataset: str
    epochs_done: int
    epochs_total: int
    last_d_loss: float | None
    last_g_loss: float | None
    # the last evaluated epoch's scores (`scores.SCORE_KEYS`), None when it has none
    quality: float | None  # Fréchet score, lower is better
    precision: float | None
    recall: float | None
    density: float | None
    coverage: float | None  # Naeem et al.'s; an old line's `coverage` is its class_balance
    class_balance: float | None
    best: BestEpoch | None  # the epoch whose checkpoint the run keeps as best.pt, and its score
    created: str
    duration: float | None
    thumbnail: Path | None
    problem: str | None
    path: Path
    class_hist: list | None = None  # the last evaluated epoch's classes of samples, for the collapse flag
    parent: str | None = None  # a fork's parent run id; its epochs_done counts the inherited ones
    parent_epoch: int = 0  # the epoch it was forked at
    class_accuracy: float | None = None  # a conditional run's last evaluated epoch (`scores.CONDITIONAL_KEYS`)
    intra_quality: float | None = None


class Run:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.id = self.path.name

    # ---- files -----------------------------------------------------------------------
    @property
    def config_file(self) -> Path:
        return self.path / "config.json"

    @property
    def info_file(self) -> Path:
        return self.path / "run.json"

    @property
    def metrics_file(self) -> Path:
        return self.path / "metrics.jsonl"

    @property
    def samples_dir(self) -> Path:
        return self.path / "samples"

    @property
    def checkpoints_dir(self) -> Path:
        return self.path / "checkpoints"

    @property
    def latest_checkpoint(self) -> Path:
        return self.checkpoints_dir / "latest.pt"

    def sample_file(self, epoch: int) -> Path:
        return self.samples_dir / f"epoch-{epoch:04d}.png"

    def epoch_checkpoint(self, epoch: int) -> Path:
        return self.checkpoints_dir / f"epoch-{epoch:04d}.pt"

    # ---- reading ---------------------------------------------------------------------
    def config(self) -> TrainConfig:
        return TrainConfig.load(self.config_file)

    def info(self) -> dict:
        """run.json as the plain JSON object (for scripts and checks); `read_info()` is the typed
        view. Raises OSError/ValueError when missing or unreadable."""
        data = json.loads(self.info_file.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("run.json is not an object")
        return data

    def read_info(self) -> RunInfo:
        """run.json as a RunInfo; raises OSError/ValueError when missing or unreadable."""
        return RunInfo.from_dict(self.info())

    def metrics(self) -> MetricsLog:
        log = MetricsLog()
        try:
            text = self.metrics_file.read_text(encoding="utf-8")
        except FileNotFoundError:
            return log
        except OSError as e:
            log.problem = f"metrics.jsonl unreadable ({e.strerror})"
            return log
        lines = text.split("\n")
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                if not isinstance(entry, dict) or "epoch" not in entry:
                    raise ValueError
            except ValueError:
                half = number == len(lines)
                log.problem = (f"metrics.jsonl line {number} is {'half-written' if half else 'not valid JSON'}")
                break
            log.epochs.append(current_names(entry))
        log.epochs, log.repeated = _distinct_epochs(log.epochs)
        return log

    def metrics_tail(self) -> tuple[int, dict, dict, str | None]:
        """(complete epoch lines, the last one parsed, the last one with a Fréchet score parsed,
        problem) without parsing every line: listing hundreds of runs must stay fast, and
        appends are whole lines, so a line that looks like a JSON object with an epoch, plus a
        parsed last line, finds the damage that happens in practice (a half-written last line)."""
        try:
            text = self.metrics_file.read_text(encoding="utf-8")
        except FileNotFoundError:
            return 0, {}, {}, None
        except OSError as e:
            return 0, {}, {}, f"metrics.jsonl unreadable ({e.strerror})"
        lines = text.split("\n")
        last_number = max((n for n, line in enumerate(lines, 1) if line.strip()), default=0)
        scored_number = max((n for n, line in enumerate(lines, 1) if '"quality": ' in line), default=0)
        scored = (_metrics_entry(lines[scored_number - 1].strip()) or {}) if scored_number else {}
        seen, last = set(), {}
        for number, line in enumerate(lines, 1):
            line = line.strip()
            if not line:
                continue
            entry = _metrics_entry(line) if number == last_number else None
            if not (line[0] == "{" and line[-1] == "}" and '"epoch"' in line) or (
                    number == last_number and entry is None):
                half = number == len(lines)
                return len(seen), last, {}, (f"metrics.jsonl line {number} is "
                                             f"{'half-written' if half else 'not valid JSON'}")
            match = _EPOCH_PREFIX.match(line)
            seen.add(int(match.group(1)) if match else -number)  # distinct epochs, not lines
            last = entry or last
        return len(seen), last, scored, None

    def sample_epochs(self) -> list[int]:
        """Epochs that have a saved fixed-noise grid, ascending."""
        return _numbered_files(self.samples_dir, ".png")

    def is_locked(self) -> bool:
        return lock_is_held(self.path / ".lock")

    def summary(self) -> RunSummary:
        """Never raises for a bad run: problems show as status "damaged" with the reason."""
        problem = None
        try:
            info = self.read_info()
        except FileNotFoundError:
            info, problem = RunInfo(), "run.json is missing"
        except (OSError, ValueError) as e:
            info, problem = RunInfo(), f"run.json is unreadable ({e})"
        try:
            cfg = json.loads(self.config_file.read_text(encoding="utf-8"))
            cfg = cfg if isinstance(cfg, dict) else {}
        except FileNotFoundError:
            cfg, problem = {}, problem or "config.json is missing"
        except (OSError, ValueError) as e:
            cfg, problem = {}, problem or f"config.json is unreadable ({e})"
        epochs_done, last, scored, metrics_problem = self.metrics_tail()
        problem = problem or metrics_problem or (
            "run.json holds no known status" if info.status is RunStatus.DAMAGED else None)
        status = info.status
        if status is RunStatus.RUNNING and not self.is_locked():
            status = RunStatus.STOPPED  # the process that trained it is gone
        if problem:
            status = RunStatus.DAMAGED
        created = info.created
        start, end = parse_iso(created), parse_iso(info.finished)
        duration = info.train_seconds
        epochs = self.sample_epochs()
        return RunSummary(
            id=self.id,
            name=info.name or self.id,
            status=status,
            preset=info.preset,
            dataset=cfg.get("dataset", "?"),
            epochs_done=epochs_done + info.parent_epoch,
            epochs_total=int(cfg.get("epochs", 0) or 0),
            last_d_loss=last.get("d_loss"),
            last_g_loss=last.get("g_loss"),
            **scores_of(scored),
            **conditional_scores_of(scored),
            best=read_best(self.checkpoints_dir),
            class_hist=scored.get("class_hist") if isinstance(scored.get("class_hist"), list) else None,
            created=created,
            duration=duration if duration is not None else (end - start if start and end else None),
            thumbnail=self.sample_file(epochs[-1]) if epochs else None,
            problem=problem,
            path=self.path,
            parent=info.parent_run, parent_epoch=info.parent_epoch,
        )

    # ---- writing ---------------------------------------------------------------------
    def update_info(self, **changes) -> RunInfo:
        """Read-modify-write run.json under a short lock, so that notes saved by the browser
        and the trainer's epoch updates from another process never overwrite each other.
        Keys not changed stay as they are, those this release does not know too."""
        with blocking_lock(self.path / ".info-lock"):
            try:
                info = self.info()
            except (OSError, ValueError):
                info = {}
            info.update(changes)
            write_json(self.info_file, info)
        return RunInfo.from_dict(info)

    def record_failure(self, reason: FailureReason, message: str) -> None:
        """Status failed, with why in words (`message`) and as a kind (`reason`). A NaN also
        writes `diverged: true`, the only mark releases before `reason` read (their sweeps skip
        such a run)."""
        diverged = {"diverged": True} if reason is FailureReason.DIVERGED else {}
        self.update_info(status=RunStatus.FAILED, message=message, reason=reason, finished=now_iso(), **diverged)

    def save_config(self, config: TrainConfig) -> None:
        write_json(self.config_file, config.to_dict())

    def append_metrics(self, entry: dict) -> None:
        append_line(self.metrics_file, json.dumps(entry))

    def trim_metrics(self, epochs: int) -> None:
        """Keep only the complete lines of epochs 1..epochs (a resume starts from a checkpoint)."""
        self._write_metrics([e for e in self.metrics().epochs if e["epoch"] <= epochs])

    def trim_to(self, epoch: int) -> list[str]:
        """Make the run's recorded epochs exactly 1..epoch, the epochs its latest checkpoint
        covers: metrics lines (repeated ones too), sample grids, kept checkpoints and the best
        one beyond it go. Returns what changed, in words (empty when nothing did)."""
        changed = []
        log = self.metrics()
        kept = [e for e in log.epochs if e["epoch"] <= epoch]
        if len(kept) != len(log.epochs) or log.repeated or log.problem:
            self._write_metrics(kept)
            dropped = [e["epoch"] for e in log.epochs if e["epoch"] > epoch]
            if dropped:
                changed.append(f"removed metrics of epochs {_span(dropped)} (beyond the checkpoint's epoch {epoch})")
            if log.repeated:
                changed.append(f"removed {words.count(log.repeated, 'repeated metrics line')}")
            if log.problem:
                changed.append(f"dropped the unreadable rest of metrics.jsonl ({log.problem})")
        extra = [e for e in self.sample_epochs() if e > epoch]
        for e in extra:
            self.sample_file(e).unlink(missing_ok=True)
        if extra:
            changed.append(f"removed sample grids of epochs {_span(extra)}")
        stale = [e for e in self.kept_checkpoint_epochs() if e > epoch]
        for e in stale:
            self.epoch_checkpoint(e).unlink(missing_ok=True)
        if stale:
            changed.append(f"removed kept checkpoints of epochs {_span(stale)}")
        return changed + trim_best(self.checkpoints_dir, epoch)

    def kept_checkpoint_epochs(self) -> list[int]:
        """Epochs with a kept checkpoint file (epoch-NNNN.pt), ascending."""
        return _numbered_files(self.checkpoints_dir, ".pt")

    def update_epoch_metrics(self, epoch: int, values: dict) -> None:
        """Merge `values` (evaluation scores) into epoch's metrics line, atomically and under the
        run's lock, so a run being trained is never rewritten behind its trainer's back."""
        with self.lock():
            log = self.metrics()
            if log.problem:
                raise ValueError(f"Run {self.id}: {log.problem}; `gan-workbench check` can repair it.")
            matching = [e for e in log.epochs if e["epoch"] == epoch]
            if not matching:
                raise ValueError(f"Run {self.id} has no metrics for epoch {epoch}.")
            for entry in matching:
                entry.update(values)
            self._write_metrics(log.epochs)

    def _write_metrics(self, entries: list[dict]) -> None:
        write_bytes(self.metrics_file, "".join(json.dumps(e) + "\n" for e in entries).encode("utf-8"))

    def lock(self):
        """Hold the run's write lock; raises RunLocked when someone else holds it."""
        return held_lock(self.path / ".lock", lambda: RunLocked(
            f"Run {self.id} is being trained by another process; it can be read but not "
            f"changed until that training stops."))


def _numbered_files(folder: Path, suffix: str) -> list[int]:
    """N of every `epoch-N<suffix>` file in `folder`, ascending; none when it is missing."""
    out = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                name = entry.name
                number = name[6:-len(suffix)]
                if name.startswith("epoch-") and name.endswith(suffix) and number.isdigit():
                    out.append(int(number))
    except OSError:
        pass
    return sorted(out)


_EPOCH_PREFIX = re.compile(r'\{"epoch": (\d+)[,}]')  # how append_metrics writes every line


def _distinct_epochs(entries: list[dict]) -> tuple[list[dict], int]:
    """One entry per epoch (the last line of each wins: a retrained epoch replaces the attempt
    that was cut short), ascending, and how many lines were repeats."""
    by_epoch = {}
    for entry in entries:
        by_epoch[entry["epoch"]] = entry
    return [by_epoch[k] for k in sorted(by_epoch, key=_epoch_key)], len(entries) - len(by_epoch)


def _epoch_key(epoch):
    return (0, epoch) if isinstance(epoch, (int, float)) else (1, str(epoch))


def _span(epochs: list[int]) -> str:
    return f"{epochs[0]}–{epochs[-1]}" if len(epochs) > 1 else str(epochs[0])


def _metrics_entry(line: str) -> dict | None:
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    return current_names(entry) if isinstance(entry, dict) and "epoch" in entry else None


class RunStore:
    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root) if root else paths.runs_dir()

    def create(self, config: TrainConfig, name: str | None = None, notes: str = "",
               preset: str | None = None, tags: dict | None = None) -> Run:
        """A new run folder; `tags` (a sweep's id and place) go into run.json in the same write."""
        config.check()
        self.root.mkdir(parents=True, exist_ok=True)
        while True:
            run_id = time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)
            try:
                (self.root / run_id).mkdir()
                break
            except FileExistsError:
                continue
        run = Run(self.root / run_id)
        run.save_config(config)
        run.update_info(**{  # tags may set what a new run starts with (a fork: its epochs_done)
            "id": run_id, "name": name or f"{preset or 'custom'} {run_id[4:15]}", "status": RunStatus.CREATED,
            "created": now_iso(), "finished": None, "preset": preset, "notes": notes, "epochs_done": 0,
            "device": None, "versions": {}, "message": None, "train_seconds": 0.0, **(tags or {})})
        return run

    def runs(self) -> list[Run]:
        if not self.root.is_dir():
            return []
        return [Run(p) for p in sorted(self.root.iterdir()) if p.is_dir() and not p.name.startswith(".")]

    def summaries(self) -> list[RunSummary]:
        return [r.summary() for r in self.runs()]

    def get(self, key: str) -> Run:
        """A run by id, unique id prefix, or unique name."""
        runs = self.runs()
        exact = [r for r in runs if r.id == key]
        if exact:
            return exact[0]
        prefix = [r for r in runs if r.id.startswith(key)]
        if len(prefix) == 1:
            return prefix[0]
        named = [r for r in runs if r.summary().name == key]
        if len(named) == 1:
            return named[0]
        if len(prefix) > 1 or len(named) > 1:
            raise RunNotFound(f"{key!r} matches several runs: "
                              + ", ".join(r.id for r in (prefix or named)) + "; give more of the id.")
        raise RunNotFound(f"No run {key!r} in {self.root}. `gan-workbench runs` lists them.")

    def delete(self, run: Run) -> None:
        with run.lock():
            pass  # refuses while training
        shutil.rmtree(run.path)


__all__ = ["Run", "RunStore", "RunSummary", "RunLocked", "RunNotFound", "MetricsLog"]
