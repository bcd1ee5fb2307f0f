"""The doctor's rules: each condition from signals over a window of epochs or batches.

Every rule reads the metrics lines (one dict per epoch, as metrics.jsonl holds them and as
`EpochEnded.metrics()` gives them live) and names its condition only when the signal held over
its window: several epochs, or most of an epoch's batches (the per-batch trace the trainer
already keeps). The thresholds were tuned on `benchmarks/doctor_conditions.py` (docs/doctor.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from workbench.core.config import TrainConfig
from workbench.core.doctor import signals as s
from workbench.core.doctor.diagnosis import ORDER, STOP, Diagnosis, first_two, suggestion


@dataclass(frozen=True)
class Thresholds:
    exploded: float = 1000.0  # |loss| beyond this is blown up (BCE's own clamp is 100 a term)
    exploded_share: float = 0.5  # … on at least this share of an epoch's batches
    d_sure: float = 0.85  # D(x) at least this and D(G(z)) at most 1 − this: D wins
    g_loss_high: float = 2.0  # G's BCE loss above this: D(G(z)) below e^-2 ≈ 0.14 on that batch
    high_share: float = 0.75  # … on at least this share of an epoch's batches
    saturated: float = 15.0  # G's BCE loss above this: D(G(z)) < 3e-7, where the sigmoid is flat
    window: int = 2  # epochs a condition must hold (D winning, vanishing, collapse)
    undecided: float = 0.1  # D(x) and D(G(z)) both within this of 0.5: D cannot tell
    weak_window: int = 3  # epochs D must stay undecided, with quality not improving
    poor_quality: float = 15.0  # a Fréchet score above this is poor (the MNIST classifier's scale:
    #                             real images blurred σ 1 score 18)
    min_balance: float = 0.90  # class balance below this (the collapse badge's default) …
    balance_drop: float = 0.08  # … and this far below its best so far: collapsing
    max_share: float = 0.30  # one class above this share of the samples: dominating …
    dominating_window: int = 3  # … over this many scored epochs without receding
    recall_drop: float = 0.15  # recall this far below its best so far: fewer kinds of image
    quality_noise: float = 0.15  # the Fréchet score's epoch-to-epoch noise, relative
    oscillation_window: int = 6  # scored epochs looked at together
    oscillation_swings: int = 2  # worsening moves beyond the noise within the window
    stall_epochs: int = 5  # scored epochs without a new best (by more than the noise / 3): stalled
    warm_up_images: float = 60_000  # collapse and a weak D are judged after this many trained images


DEFAULT = Thresholds()


def diagnose(entries: list[dict], config: TrainConfig, diverged_at: tuple[int, str] | None = None,
             thresholds: Thresholds = DEFAULT) -> list[Diagnosis]:
    """Every condition found in `entries` (metrics lines in epoch order), the worst first.
    `diverged_at` is (epoch, message) of a run that failed with a non-finite loss."""
    entries = sorted((e for e in entries if isinstance(e.get("epoch"), int)), key=lambda e: e["epoch"])
    t = thresholds
    found = [_diverged(entries, config, diverged_at, t), _vanishing(entries, config, t),
             _discriminator_winning(entries, config, t), _mode_collapse(entries, config, t),
             _weak_discriminator(entries, config, t), _oscillation(entries, config, t), _stalled(entries, config, t)]
    return sorted((d for d in found if d is not None), key=lambda d: ORDER.index(d.condition))


def unmeasured(entries: list[dict], config: TrainConfig) -> list[str]:
    """What the doctor could not judge on this run, and why, for the panel and the CLI."""
    notes = []
    if len(entries) < DEFAULT.window:
        notes.append(f"{len(entries)} epoch(s) so far: most conditions need {DEFAULT.window} or more.")
    if not s.scored(entries, "quality"):
        notes.append("Not scored (Evaluation samples 0): mode collapse, oscillation, stalls and a weak D need "
                     "quality scores; `gan-workbench evaluate` can score a stored run.")
    return notes


def _diverged(entries, config, diverged_at, t) -> Diagnosis | None:
    why = None
    for e in entries:
        d, g = s.batch_points(e, "d_loss"), s.batch_points(e, "g_loss")
        nonfinite = sum(1 for p in d + g if not math.isfinite(p))
        per_batch = [max(abs(a), abs(b)) for a, b in zip(d, g) if math.isfinite(a) and math.isfinite(b)]
        exploded = s.share(per_batch, lambda p: p > t.exploded)
        if nonfinite:
            why = (e["epoch"], f"at epoch {e['epoch']} {nonfinite} of the recorded losses are not finite", 1.0)
        elif exploded >= t.exploded_share:
            why = (e["epoch"], f"at epoch {e['epoch']} the losses exceed {t.exploded:.0f} on {exploded:.0%} of "
                   f"batches (up to {max(per_batch):.3g}; sane GAN losses stay below about 10)",
                   s.confidence(1, 1, exploded))
        if why:
            break
    if diverged_at is not None and (why is None or diverged_at[0] <= why[0]):
        why = (diverged_at[0], f"training stopped at epoch {diverged_at[0]}: {diverged_at[1]}", 1.0)
    if why is None:
        return None
    lr = suggestion(config, "Both learning rates ÷ 10", lr_g=config.lr_g / 10, lr_d=config.lr_d / 10)
    last = entries[-1]["epoch"] if entries else why[0]
    return Diagnosis("diverged", why[0], last, why[1][0].upper() + why[1][1:] + ".", why[2], first_two(lr, STOP))


def _bce(config: TrainConfig) -> bool:
    return config.loss in ("bce", "bce-logits")


def _d_wins(e: dict, config: TrainConfig, t: Thresholds) -> bool:
    d_real, d_fake = s.value(e, "d_real"), s.value(e, "d_fake")
    if d_real is None or d_fake is None or d_real < t.d_sure or d_fake > 1 - t.d_sure:
        return False
    return not _bce(config) or s.share(s.batch_points(e, "g_loss"), lambda p: p > t.g_loss_high) >= t.high_share


def _discriminator_winning(entries, config, t) -> Diagnosis | None:
    streak = s.first_streak([_d_wins(e, config, t) for e in entries], t.window)
    if streak is None:
        return None
    window = entries[streak[0]:streak[1] + 1]
    first, last = window[0]["epoch"], window[-1]["epoch"]
    d_real = min(e["d_real"] for e in window)
    d_fake = max(e["d_fake"] for e in window)
    words = f"In {s.epochs_text(first, last)}, D(x) stayed ≥ {d_real:.2f} and D(G(z)) ≤ {d_fake:.2f}"
    if _bce(config):
        high = s.share([p for e in window for p in s.batch_points(e, "g_loss")], lambda p: p > t.g_loss_high)
        words += f"; the G loss was above {t.g_loss_high:g} on {high:.0%} of batches"
        g0, g1 = s.value(entries[0], "g_loss"), s.value(window[-1], "g_loss")
        if g0 is not None and g1 is not None:
            words += f" ({g0:.2f} at epoch {entries[0]['epoch']}, {g1:.2f} at epoch {last})"
    margin = (d_real - t.d_sure) / (1 - t.d_sure)
    return Diagnosis("discriminator_winning", first, last, words + ".",
                     s.confidence(len(window), t.window, margin), _calm_d(config))


def _calm_d(config: TrainConfig):
    """Changes a fork can make from the epoch it was seen at (spectral norm in D would change D's
    layers, which a fork refuses; it is named in the docs for a new run)."""
    return first_two(suggestion(config, "D's learning rate ÷ 2", lr_d=config.lr_d / 2),
                     suggestion(config, "Label smoothing 0.9", real_label=0.9),
                     suggestion(config, "G's learning rate × 2", lr_g=config.lr_g * 2))


def _vanishing(entries, config, t) -> Diagnosis | None:
    if config.loss != "bce":  # BCE on logits and hinge have no flat sigmoid to saturate
        return None
    shares = [s.share(s.batch_points(e, "g_loss"), lambda p: p > t.saturated) for e in entries]
    streak = s.first_streak([x >= t.high_share for x in shares], t.window)
    if streak is None:
        return None
    first, last = entries[streak[0]]["epoch"], entries[streak[1]]["epoch"]
    held = shares[streak[0]:streak[1] + 1]
    words = (f"In {s.epochs_text(first, last)}, the G loss was above {t.saturated:g} (D(G(z)) below 3e-7, where "
             f"the sigmoid is flat) on {min(held):.0%}–{max(held):.0%} of batches, reaching "
             f"{max(max(s.batch_points(e, 'g_loss')) for e in entries[streak[0]:streak[1] + 1]):.1f}.")
    return Diagnosis("vanishing_g_gradient", first, last, words, s.confidence(len(held), t.window, min(held)),
                     first_two(suggestion(config, "BCE on logits (no flat sigmoid)", loss="bce-logits"),
                               suggestion(config, "D's learning rate ÷ 2", lr_d=config.lr_d / 2)))


def _mode_collapse(entries, config, t) -> Diagnosis | None:
    entries = s.settled(entries, t.warm_up_images)
    scored = [e for e in entries if s.value(e, "class_balance") is not None or s.value(e, "recall") is not None]
    if len(scored) < t.window:
        return None
    reasons, best_balance, best_recall, shares = [], 0.0, 0.0, []
    for e in scored:
        balance, recall, top = s.value(e, "class_balance"), s.value(e, "recall"), s.top_share(e.get("class_hist"))
        why = None
        if balance is not None:
            best_balance = max(best_balance, balance)
            if balance < t.min_balance and balance < best_balance - t.balance_drop:
                why = f"class balance fell to {balance:.2f} (best {best_balance:.2f})"
        if why is None and recall is not None:
            best_recall = max(best_recall, recall)
            if recall < best_recall - t.recall_drop:
                why = f"recall fell to {recall:.2f} (best {best_recall:.2f})"
        shares.append(top[1] if top else 0.0)
        if why is None and top and len(shares) >= t.dominating_window:
            recent = shares[-t.dominating_window:]
            if min(recent) > t.max_share and recent[-1] >= recent[0] - 0.05:  # dominating and not receding
                why = (f"class {_class(config, top[0])} took {recent[-1]:.0%} of the samples "
                       f"({' → '.join(f'{x:.0%}' for x in recent)} over {t.dominating_window} scored epochs)")
        reasons.append(why)
    streak = s.first_streak([r is not None for r in reasons], t.window)
    if streak is None:
        return None
    first, last = scored[streak[0]]["epoch"], scored[streak[1]]["epoch"]
    held = streak[1] - streak[0] + 1
    words = f"In {s.epochs_text(first, last)} ({held} scored epochs): at epoch {last}, {reasons[streak[1]]}"
    if reasons[streak[0]].split(" ")[0] != reasons[streak[1]].split(" ")[0]:  # it began another way
        words += f"; at epoch {first}, {reasons[streak[0]]}"
    words += "."
    return Diagnosis("mode_collapse", first, last, words, s.confidence(held, t.window, 1 - min(best_balance, 1)),
                     first_two(suggestion(config, "Generator averaging 0.999", g_ema=0.999),
                               suggestion(config, "Label smoothing 0.9", real_label=0.9), STOP))


def _class(config: TrainConfig, index: int) -> str:
    return f"{index}" if config.dataset in ("mnist", "kmnist", "folder") else f"#{index}"


def _undecided(e: dict, t: Thresholds) -> bool:
    d_real, d_fake = s.value(e, "d_real"), s.value(e, "d_fake")
    return d_real is not None and d_fake is not None and abs(d_real - 0.5) <= t.undecided \
        and abs(d_fake - 0.5) <= t.undecided


def _weak_discriminator(entries, config, t) -> Diagnosis | None:
    entries = s.settled(entries, t.warm_up_images)
    for i in range(len(entries) - t.weak_window + 1):
        window = entries[i:i + t.weak_window]
        quality = [s.value(e, "quality") for e in window]
        if not all(_undecided(e, t) for e in window) or any(q is None for q in quality):
            continue
        before = [q for _, q in s.scored(entries[:i + 1], "quality")]
        if min(quality) <= t.poor_quality or min(quality) < min(before) * (1 - t.quality_noise):
            continue  # good images, or still improving beyond the noise
        first, last = window[0]["epoch"], window[-1]["epoch"]
        d_real = ", ".join(f"{e['d_real']:.2f}" for e in window)
        d_fake = ", ".join(f"{e['d_fake']:.2f}" for e in window)
        words = (f"In {s.epochs_text(first, last)}, D(x) was {d_real} and D(G(z)) {d_fake} (0.5 is a coin toss), while "
                 f"quality stayed poor: {' → '.join(f'{q:.1f}' for q in quality)} (above {t.poor_quality:g}).")
        return Diagnosis("weak_discriminator", first, last, words, s.confidence(t.weak_window, t.weak_window),
                         first_two(suggestion(config, "D's learning rate × 2", lr_d=config.lr_d * 2),
                                   suggestion(config, "Two D steps per G step", d_steps=2)))
    return None


def _oscillation(entries, config, t) -> Diagnosis | None:
    quality = s.scored(entries, "quality")
    for i in range(len(quality) - t.oscillation_window + 1):
        window = quality[i:i + t.oscillation_window]
        moves = [(b[1] - a[1]) / min(a[1], b[1]) for a, b in zip(window, window[1:])]
        worse = [k for k, m in enumerate(moves) if m > t.quality_noise]
        better = [k for k, m in enumerate(moves) if m < -t.quality_noise]
        if len(worse) < t.oscillation_swings or not any(worse[0] < k < worse[-1] for k in better):
            continue
        first, last = window[0][0], window[-1][0]
        biggest = max(abs(m) for m in moves)
        words = (f"Quality went {' → '.join(f'{q:.2f}' for _, q in window)} over {s.epochs_text(first, last)}: "
                 f"{len(worse)} worsenings beyond its noise (±{t.quality_noise:.0%}), moves of up to {biggest:.0%}.")
        return Diagnosis("oscillation", first, last, words,
                         s.confidence(len(worse), t.oscillation_swings, biggest - t.quality_noise),
                         first_two(suggestion(config, "Both learning rates ÷ 2", lr_g=config.lr_g / 2,
                                              lr_d=config.lr_d / 2),
                                   suggestion(config, "Generator averaging 0.999", g_ema=0.999), STOP))
    return None


def _stalled(entries, config, t) -> Diagnosis | None:
    quality = s.scored(entries, "quality")
    best_epoch, best = None, math.inf
    for epoch, q in quality:
        if q < best * (1 - t.quality_noise / 3):
            best_epoch, best = epoch, q
        elif best_epoch is not None and sum(1 for e, _ in quality if best_epoch < e <= epoch) >= t.stall_epochs:
            words = (f"The best quality, {best:.2f} at epoch {best_epoch}, has not improved by more than "
                     f"{t.quality_noise / 3:.0%} in the {t.stall_epochs} scored epochs since (to epoch {epoch}; "
                     f"latest {quality[-1][1]:.2f}).")
            held = sum(1 for e, _ in quality if e > best_epoch)
            return Diagnosis("stalled", epoch, quality[-1][0], words, s.confidence(held, t.stall_epochs),
                             first_two(STOP, suggestion(config, "Learning-rate decay: linear", lr_decay="linear")))
    return None
