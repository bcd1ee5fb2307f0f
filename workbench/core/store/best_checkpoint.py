"""Keeping the best epoch's checkpoint (best.pt, best.json: `core.store.best_epoch`) in step with
the run's stored scores, where torch is at hand: when a run resumes, after `evaluate` stored
scores of saved epochs, and in `check` / `check --repair`.

Training offers each scored epoch as it ends (`best_epoch.offer_best`); this covers what that
cannot: an epoch scored after the fact, a run of a release that kept no best, a write of best.pt
that failed or a process killed between best.pt and best.json. The caller holds the run's lock.
"""

from __future__ import annotations

from workbench.core.store.best_epoch import (
    CHECKPOINT_NAME,
    RECORD_NAME,
    BestEpoch,
    beats,
    drop_best,
    keep_as_best,
    read_best,
    score_of,
    write_record,
)
from workbench.core.store.checkpoints import CheckpointError, load_checkpoint
from workbench.core.store.epoch_checkpoints import saved_checkpoints
from workbench.core.store.runs import Run


def stored_scores(run: Run) -> dict[int, float]:
    """{epoch: Fréchet score} of the run's scored epochs."""
    out = {}
    for entry in run.metrics().epochs:
        quality = score_of(entry.get("quality"))
        if quality is not None:
            out[entry["epoch"]] = quality
    return out


def newest_scores(run: Run) -> tuple[dict[int, float], int | None]:
    """({epoch: Fréchet score} of the epochs scored by the newest classifier version among the
    run's scores, that version): scores of two versions are not compared."""
    entries = [e for e in run.metrics().epochs if score_of(e.get("quality")) is not None]
    versions = [v for v in (e.get("classifier_version") for e in entries) if isinstance(v, int)]
    newest = max(versions, default=None)
    return {e["epoch"]: score_of(e["quality"]) for e in entries if e.get("classifier_version") == newest}, newest


def examine_best(run: Run, latest_epoch: int) -> tuple[BestEpoch | None, str | None]:
    """(what best.pt really holds, what is wrong with the two files in words). best.pt's own
    epoch is the truth; it must be a recorded epoch (at most `latest_epoch`, the latest
    checkpoint's) with a stored score, and best.json must say that epoch and score."""
    folder = run.checkpoints_dir
    if not (folder / CHECKPOINT_NAME).exists():
        return None, f"{RECORD_NAME} has no {CHECKPOINT_NAME} beside it" if (folder / RECORD_NAME).exists() else None
    try:
        epoch = int(load_checkpoint(folder / CHECKPOINT_NAME)["epoch"])
    except CheckpointError as e:
        return None, f"{CHECKPOINT_NAME} is unreadable: {e}"
    if epoch > latest_epoch:
        return None, f"{CHECKPOINT_NAME} holds epoch {epoch}, beyond the latest checkpoint's epoch {latest_epoch}"
    quality = stored_scores(run).get(epoch)
    if quality is None:
        return None, f"{CHECKPOINT_NAME} holds epoch {epoch}, which has no score in metrics.jsonl"
    version = next((e.get("classifier_version") for e in run.metrics().epochs if e.get("epoch") == epoch), None)
    truth, record = BestEpoch(epoch, quality, version if isinstance(version, int) else None), read_best(folder)
    if record != truth:
        said = f"epoch {record.epoch}, {record.quality:g}" if record else "nothing readable"
        return truth, f"{RECORD_NAME} says {said}; {CHECKPOINT_NAME} holds epoch {epoch}, scored {quality:g}"
    return truth, None


def settle_best(run: Run, latest_epoch: int) -> list[str]:
    """Make best.json say what best.pt holds, or drop both when best.pt is no best (unreadable,
    beyond the latest checkpoint, of an epoch never scored). Returns what changed, in words."""
    truth, problem = examine_best(run, latest_epoch)
    if problem is None:
        return []
    if truth is None:
        drop_best(run.checkpoints_dir)
        return [f"removed the best checkpoint ({problem})"]
    write_record(run.checkpoints_dir, truth)
    return [f"rewrote {RECORD_NAME} ({problem})"]


def refresh_best(run: Run) -> BestEpoch | None:
    """Settle the two files, then keep the best-scoring saved epoch as best.pt when it beats the
    kept best (or there is none); returns the run's best epoch afterwards."""
    saved = saved_checkpoints(run)
    settle_best(run, max(saved, default=0))
    best = read_best(run.checkpoints_dir)
    scores, version = newest_scores(run)
    candidates = sorted((scores[e], e) for e, c in saved.items() if e in scores and not c.mid_epoch)
    if candidates and beats(candidates[0][0], best, version):
        quality, epoch = candidates[0]
        best = BestEpoch(epoch, quality, version)
        keep_as_best(run.checkpoints_dir, best, saved[epoch].path)
    return best


__all__ = ["examine_best", "newest_scores", "refresh_best", "settle_best", "stored_scores"]
