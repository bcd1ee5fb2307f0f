"""The training doctor on synthetic metrics: each condition is named from a window of epochs or
batches with its evidence and config deltas, and healthy curves are left alone."""

from __future__ import annotations

import math

import pytest

from workbench.core.config import TrainConfig, field_names
from workbench.core.doctor import CONDITIONS, checkup, diagnose, unmeasured
from workbench.core.presets import preset_config
from workbench.core.store.runs import RunStore

BCE = preset_config("cpu-fast").with_changes(eval_samples=2000)  # loss bce, lr 0.0005
LOGITS = preset_config("cpu-quality")  # bce-logits, g_ema 0.999


def epoch(e, *, d_real=0.62, d_fake=0.38, g=1.1, d=1.2, g_trace=None, quality=None, balance=None, recall=None,
          hist=None) -> dict:
    """One metrics line as the trainer writes it (an MNIST epoch of images); a per-batch trace
    of 50 points around `g`."""
    trace = g_trace if g_trace is not None else [g + 0.2 * math.sin(i) for i in range(50)]
    entry = {"epoch": e, "d_loss": d, "g_loss": g, "d_real": d_real, "d_fake": d_fake, "images_per_sec": 6000.0,
             "seconds": 10.0, "batch_d_loss": [d + 0.1 * math.cos(i) for i in range(50)], "batch_g_loss": trace}
    if quality is not None:
        entry |= {"quality": quality, "precision": 0.7, "recall": 0.6 if recall is None else recall,
                  "density": 0.9, "coverage": 0.8, "class_balance": 0.97 if balance is None else balance,
                  "class_hist": hist or [100] * 10}
    return entry


def healthy(n=12, plateau_from=None) -> list[dict]:
    """A run that learns: quality falls with small noise (±5%), D a little ahead, classes even."""
    out, q = [], 60.0
    for e in range(1, n + 1):
        if plateau_from is None or e < plateau_from:
            q *= 0.75
        wobble = 1 + 0.04 * math.sin(3 * e)
        out.append(epoch(e, d_real=0.6 + 0.02 * math.sin(e), d_fake=0.36 + 0.02 * math.cos(e), g=1.0 + 0.05 * e,
                         quality=q * wobble, balance=0.96 + 0.01 * math.sin(e), recall=min(0.7, 0.1 + 0.05 * e)))
    return out


def names(found) -> list[str]:
    return [d.condition for d in found]


def test_healthy_curves_are_not_flagged():
    assert diagnose(healthy(), BCE) == []
    assert diagnose(healthy(), LOGITS) == []
    assert diagnose(healthy(3), BCE) == []


def test_a_healthy_run_that_levels_off_is_only_stalled_and_only_after_the_patience():
    assert diagnose(healthy(10, plateau_from=7), BCE) == []  # 4 epochs on the plateau: not yet
    found = diagnose(healthy(14, plateau_from=7), BCE)
    assert names(found) == ["stalled"]
    stalled = found[0]
    assert stalled.epoch == 11 and "epoch 6" in stalled.evidence
    assert stalled.suggestions[0].changes == {}  # stop: the best epoch is kept
    assert stalled.suggestions[1].changes == {"lr_decay": "linear"}


def winning(e):
    return epoch(e, d_real=0.97, d_fake=0.03, g=4.0 + e, g_trace=[4.0 + e + 0.3 * math.sin(i) for i in range(50)])


def test_discriminator_winning_needs_two_epochs_and_says_its_numbers():
    assert diagnose([epoch(1), winning(2)], BCE) == []  # one epoch is not a window
    found = diagnose([epoch(1), winning(2), winning(3)], BCE)
    assert names(found) == ["discriminator_winning"]
    d = found[0]
    assert (d.epoch, d.last_epoch) == (2, 3)
    assert "D(x) stayed ≥ 0.97" in d.evidence and "D(G(z)) ≤ 0.03" in d.evidence
    assert "100% of batches" in d.evidence and "1.10 at epoch 1" in d.evidence and "7.00 at epoch 3" in d.evidence
    assert 0.5 <= d.confidence <= 0.95
    assert [s.changes for s in d.suggestions] == [{"lr_d": 0.00025}, {"real_label": 0.9}]


def test_discriminator_winning_under_a_low_g_loss_is_not_named():
    """D(x) high and D(G(z)) low from the epoch means, but G's loss low on most batches: a noisy mean."""
    calm = [epoch(e, d_real=0.9, d_fake=0.1, g=1.0) for e in range(1, 5)]
    assert diagnose(calm, BCE) == []


def test_g_learning_rate_is_offered_once_label_smoothing_is_in_use_and_every_change_is_one_a_fork_makes():
    from workbench.core.store.forking import CHANGEABLE

    found = diagnose([winning(1), winning(2)], BCE.with_changes(real_label=0.9))
    assert [s.changes for s in found[0].suggestions] == [{"lr_d": 0.00025}, {"lr_g": BCE.lr_g * 2}]
    assert all(set(s.changes) <= set(CHANGEABLE) for d in found for s in d.suggestions)


def test_vanishing_g_gradient_only_under_bce_with_its_sigmoid():
    flat = [epoch(e, d_real=0.99, d_fake=0.0, g=60.0, g_trace=[99.5] * 45 + [12.0] * 5) for e in (1, 2, 3)]
    found = diagnose(flat, BCE)
    assert names(found) == ["vanishing_g_gradient", "discriminator_winning"]
    v = found[0]
    assert v.epoch == 1 and "90%" in v.evidence and "99.5" in v.evidence
    assert v.suggestions[0].changes == {"loss": "bce-logits"}
    assert "vanishing_g_gradient" not in names(diagnose(flat, LOGITS))


def test_diverged_from_non_finite_or_exploded_losses_and_from_the_failure():
    nan = [epoch(1), epoch(2, g=float("nan"), g_trace=[1.0] * 40 + [float("nan")] * 10)]
    found = diagnose(nan, BCE)
    assert names(found)[0] == "diverged" and found[0].epoch == 2 and found[0].confidence == 1.0
    assert "not finite" in found[0].evidence
    assert found[0].suggestions[0].changes == {"lr_g": 0.00005, "lr_d": 0.00005}
    assert found[0].suggestions[1].changes == {}

    exploded = [epoch(1, g=9e4, g_trace=[9e4] * 50)]
    d = diagnose(exploded, preset_config("mlp-small").with_changes(loss="hinge"))[0]
    assert d.condition == "diverged" and "100% of batches" in d.evidence and "9e+04" in d.evidence

    assert diagnose([epoch(1, g_trace=[1.0] * 45 + [5e3] * 5)], BCE) == []  # a few wild batches are not enough
    failed = diagnose([epoch(1)], BCE, diverged_at=(2, "Loss became NaN at epoch 2, batch 7"))
    assert failed[0].condition == "diverged" and failed[0].epoch == 2 and "batch 7" in failed[0].evidence


def test_mode_collapse_from_falling_balance_from_one_class_and_from_recall():
    falling = healthy(4) + [epoch(e, quality=10.0, balance=b) for e, b in ((5, 0.8), (6, 0.7))]
    found = diagnose(falling, BCE)
    assert names(found) == ["mode_collapse"] and found[0].epoch == 5
    assert "class balance fell to 0.70" in found[0].evidence
    assert [s.changes for s in found[0].suggestions] == [{"g_ema": 0.999}, {"real_label": 0.9}]

    one = [epoch(e, quality=150.0, balance=0.0, hist=[0] * 8 + [1000, 0]) for e in range(1, 6)]
    found = diagnose(one, BCE)
    assert "mode_collapse" in names(found)
    collapse = found[names(found).index("mode_collapse")]
    assert collapse.epoch == 4 and "class 8 took 100%" in collapse.evidence  # epoch 1: the warm-up

    receding = [epoch(e, quality=100.0 - 10 * e, balance=b, hist=[share] + [100] * 9)
                for e, b, share in ((1, 0.3, 900), (2, 0.5, 600), (3, 0.7, 300), (4, 0.8, 120))]
    assert "mode_collapse" not in names(diagnose(receding, BCE))  # one class at first, but receding

    recall = healthy(6) + [epoch(e, quality=2.0, recall=0.2) for e in (7, 8)]
    found = diagnose(recall, BCE)
    assert names(found) == ["mode_collapse"] and "recall fell to 0.20" in found[0].evidence


def test_generator_fooling_a_weak_d_needs_poor_quality_that_does_not_improve():
    stuck = [epoch(e, d_real=0.52, d_fake=0.48, quality=q) for e, q in enumerate((80, 60, 58, 59, 57), 1)]
    found = diagnose(stuck, BCE)
    assert names(found) == ["weak_discriminator"]
    assert found[0].epoch == 2 and "60.0 → 58.0 → 59.0" in found[0].evidence
    assert [s.changes for s in found[0].suggestions] == [{"lr_d": 0.001}, {"d_steps": 2}]
    improving = [epoch(e, d_real=0.52, d_fake=0.48, quality=q) for e, q in enumerate((80, 60, 40, 28, 20), 1)]
    assert diagnose(improving, BCE) == []
    good = [epoch(e, d_real=0.5, d_fake=0.5, quality=q) for e, q in enumerate((3.0, 2.9, 3.0, 2.9), 1)]
    assert diagnose(good, BCE) == []  # D at 0.5 with good images is the game's balance, not a problem


def test_oscillation_beyond_the_noise():
    q = (40, 20, 12, 25, 11, 24, 10, 26)
    found = diagnose([epoch(e, quality=v) for e, v in enumerate(q, 1)], BCE)
    assert "oscillation" in names(found)
    o = found[names(found).index("oscillation")]
    assert o.epoch == 1 and "12.00 → 25.00" in o.evidence
    assert o.suggestions[0].changes == {"lr_g": 0.00025, "lr_d": 0.00025}
    gentle = (40, 20, 12, 12.5, 11, 11.6, 10, 10.4)  # wobbles within ±15%
    assert "oscillation" not in names(diagnose([epoch(e, quality=v) for e, v in enumerate(gentle, 1)], BCE))


def test_every_suggestion_is_a_valid_config_delta():
    runs = [healthy(14, plateau_from=7), [winning(1), winning(2)], [epoch(1, g=9e4, g_trace=[9e4] * 50)],
            [epoch(e, d_real=0.52, d_fake=0.48, quality=q) for e, q in enumerate((80, 60, 58, 59, 57), 1)]]
    for config in (BCE, LOGITS, preset_config("mlp-small")):
        for entries in runs:
            for d in diagnose(entries, config):
                assert d.condition in CONDITIONS and 1 <= len(d.suggestions) <= 2
                for s in d.suggestions:
                    assert set(s.changes) <= set(field_names())
                    TrainConfig.from_dict(config.to_dict() | s.changes)  # raises if invalid
                    assert all(getattr(config, k) != v for k, v in s.changes.items())


def test_a_learning_rate_past_its_maximum_is_not_suggested():
    config = BCE.with_changes(lr_d=0.8)
    stuck = [epoch(e, d_real=0.52, d_fake=0.48, quality=q) for e, q in enumerate((80, 60, 58, 59, 57), 1)]
    assert [s.changes for s in diagnose(stuck, config)[0].suggestions] == [{"d_steps": 2}]


def test_unscored_runs_say_what_could_not_be_judged():
    notes = unmeasured([epoch(1)], BCE)
    assert any("need 2" in n for n in notes) and any("Not scored" in n for n in notes)
    assert unmeasured(healthy(), BCE) == []


def test_checkup_of_a_stored_run(tmp_path):
    store = RunStore()
    run = store.create(BCE.with_changes(epochs=3))
    for entry in [epoch(1), winning(2), winning(3)]:
        run.append_metrics(entry)
    report = checkup(run)
    assert report["run"] == run.id and report["epochs"] == 3
    (d,) = report["diagnoses"]
    assert d["condition"] == "discriminator_winning" and d["severity"] == "problem" and d["epoch"] == 2
    assert d["suggestions"][0] == {"label": "D's learning rate ÷ 2", "changes": {"lr_d": 0.00025}}
    assert d["explanation"] == CONDITIONS["discriminator_winning"].explanation


@pytest.mark.parametrize("key", list(CONDITIONS))
def test_every_condition_has_words_and_a_chip_colour(key):
    c = CONDITIONS[key]
    assert c.title and len(c.explanation) > 40 and c.severity in ("problem", "warning", "info")


def test_lines_with_missing_values_are_read_without_error():
    """Old or partial lines (no D outputs, no trace, no G loss) are judged on what they have."""
    sparse = [{"epoch": 1}, {"epoch": 2, "d_real": 0.97, "d_fake": 0.02}, {"epoch": 3, "d_real": 0.98, "d_fake": 0.01},
              {"epoch": "bad"}, {"epoch": 4, "quality": None, "class_hist": "?"}]
    found = diagnose(sparse, preset_config("mlp-small").with_changes(loss="hinge"))
    assert names(found) == ["discriminator_winning"]
    assert diagnose(sparse, BCE) == []  # under BCE it needs G's loss too


def test_collapse_and_a_weak_d_are_judged_after_the_first_epochs_worth_of_images():
    """Every recipe's samples are poor and uneven in its first images: short epochs (100 batches
    of 64) of a run that looks collapsed are not named until 60,000 images are trained."""
    early = [epoch(e, d_real=0.5, d_fake=0.5, quality=60.0, balance=0.5) | {"images_per_sec": 640.0, "seconds": 10.0}
             for e in range(1, 8)]  # 6,400 images an epoch
    assert {"mode_collapse", "weak_discriminator"}.isdisjoint(d.condition for d in diagnose(early, BCE))
    later = early + [epoch(e, d_real=0.5, d_fake=0.5, quality=60.0, balance=0.5)
                     | {"images_per_sec": 640.0, "seconds": 10.0} for e in range(8, 14)]
    found = [d for d in diagnose(later, BCE) if d.condition in ("mode_collapse", "weak_discriminator")]
    assert found and all(d.epoch >= 11 for d in found)  # the first line after 60,000 images
