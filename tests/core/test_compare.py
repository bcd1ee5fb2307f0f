"""config_diff, the summary and quality ranking, and the comparison CSV: plain data, no Qt."""

import csv
import io

from workbench.core.config import field_names
from workbench.core.outputs.compare import (
    QUALITY_KEYS,
    config_diff,
    curves_csv,
    quality_stats,
    rank_by_quality,
    run_stats,
    write_curves_csv,
)
from workbench.core.presets import preset_config


def test_diff_marks_exactly_the_differing_fields():
    a = preset_config("mlp-small")
    b = a.with_changes(lr_g=0.001, epochs=3)
    c = a.with_changes(epochs=3)
    rows = config_diff([a, b, c])
    assert [r.field for r in rows] == field_names()
    assert {r.field for r in rows if r.differs} == {"lr_g", "epochs"}
    lr = next(r for r in rows if r.field == "lr_g")
    assert lr.values == [0.0002, 0.001, 0.0002]


def test_diff_of_identical_configs_has_no_differences_and_rows_unpack():
    a = preset_config("dcgan")
    rows = config_diff([a, a.to_dict()])
    assert not any(differs for _field, _values, differs in rows)


def test_diff_treats_tuples_like_lists_and_reports_unknown_and_missing_keys():
    a = preset_config("dcgan").to_dict()
    b = dict(a, g_widths=tuple(a["g_widths"]), extra_key=1)
    del b["seed"]
    rows = {r.field: r for r in config_diff([a, b])}
    assert not rows["g_widths"].differs
    assert rows["seed"].differs and rows["seed"].values == [0, None]
    assert rows["extra_key"].differs and rows["extra_key"].values == [None, 1]


def test_run_stats_and_curves_csv(tmp_path):
    epochs = [{"epoch": 1, "d_loss": 1.2, "g_loss": 0.7, "images_per_sec": 1000.0, "seconds": 2.0},
              {"epoch": 2, "d_loss": 1.0, "g_loss": 0.9, "images_per_sec": 3000.0, "seconds": 1.0}]
    stats = run_stats(epochs)
    assert stats == {"epochs": 2, "final_d_loss": 1.0, "final_g_loss": 0.9, "train_seconds": 3.0,
                     "images_per_sec": 2000.0, **quality_stats([])}
    assert run_stats([], 5.0)["final_d_loss"] is None

    curves = [("id-a", "run a", epochs), ("id-b", "run b", epochs[:1])]
    path = write_curves_csv(curves, tmp_path / "curves.csv")
    rows = list(csv.DictReader(path.open()))
    assert [(r["epoch"], r["run"]) for r in rows] == [("1", "run a"), ("2", "run a"), ("1", "run b")]
    assert float(rows[1]["g_loss"]) == 0.9
    assert all(r["quality"] == "" and r["coverage"] == "" for r in rows)  # runs trained without scores
    assert list(csv.reader(io.StringIO(curves_csv([]))))[0][:4] == ["epoch", "run", "d_loss", "g_loss"]


SCORED = [
    {"epoch": 1, "d_loss": 1.3, "quality": 40.0, "coverage": 0.70},  # written before the rename
    {"epoch": 2, "d_loss": 1.2},  # not evaluated this epoch
    {"epoch": 3, "d_loss": 1.1, "quality": 12.5, "precision": 0.8, "recall": 0.6, "density": 0.9, "coverage": 0.7,
     "class_balance": 0.93},
    {"epoch": 4, "d_loss": 1.0, "quality": 12.5, "class_balance": 0.95},  # a tie: the earlier epoch is best
    {"epoch": 5, "d_loss": 0.9, "quality": 18.0, "class_balance": 0.88},
    {"epoch": 6, "d_loss": 0.8, "quality": float("nan")},  # never a score
]


def test_quality_stats_best_and_final_scores():
    none = dict.fromkeys(("precision", "recall", "density", "coverage"))
    unconditional = {"class_accuracy": None, "intra_quality": None}
    assert quality_stats(SCORED) == {
        "best_quality": 12.5, "best_epoch": 3, "final_quality": 18.0,
        "at_best": {"quality": 12.5, "precision": 0.8, "recall": 0.6, "density": 0.9, "coverage": 0.7,
                    "class_balance": 0.93, **unconditional},
        "final": {"quality": 18.0, **none, "class_balance": 0.88, **unconditional}}
    stats = run_stats(SCORED)
    assert stats["best_epoch"] == 3 and stats["final_quality"] == 18.0 and stats["final_d_loss"] == 0.8
    one = quality_stats([{"epoch": 2, "quality": 7}])
    assert one["best_quality"] == 7 and one["best_epoch"] == 2 and one["final_quality"] == 7
    assert one["at_best"] == one["final"] == {"quality": 7, **none, "class_balance": None, **unconditional}
    conditional = quality_stats([{"epoch": 1, "quality": 9.0, "class_accuracy": 0.97, "intra_quality": 14.2},
                                 {"epoch": 2, "quality": 8.0, "class_accuracy": 0.99, "intra_quality": 11.0}])
    assert conditional["at_best"]["class_accuracy"] == 0.99 and conditional["at_best"]["intra_quality"] == 11.0
    old = quality_stats(SCORED[:1])  # an old line's coverage is its class balance, never Naeem's
    assert old["at_best"]["class_balance"] == 0.70 and old["at_best"]["coverage"] is None


def test_quality_stats_of_runs_without_scores_are_none():
    for epochs in ([], [{"epoch": 1, "d_loss": 1.0}], [{"epoch": 1, "quality": None, "coverage": 0.5}],
                   [{"epoch": 1, "quality": "12"}], [{"epoch": 1, "quality": True}]):
        stats = quality_stats(epochs)
        assert set(stats) == set(QUALITY_KEYS), epochs
        assert stats["best_quality"] is stats["best_epoch"] is stats["final_quality"] is None, epochs
        assert set(stats["at_best"].values()) == set(stats["final"].values()) == {None}, epochs


def test_rank_by_quality_puts_the_best_first_and_unevaluated_last_stably():
    stats = {name: {"best_quality": q} for name, q in
             [("a", None), ("b", 30.0), ("c", 5.0), ("d", None), ("e", 30.0), ("f", 0.0)]}
    ranked = rank_by_quality(stats.items(), key=lambda item: item[1]["best_quality"])
    assert [name for name, _ in ranked] == ["f", "c", "b", "e", "a", "d"]
    assert rank_by_quality([stats["a"], stats["c"]]) == [stats["c"], stats["a"]]  # stats dicts by default
    assert rank_by_quality([]) == []


def test_curves_csv_carries_every_score_where_scored():
    rows = list(csv.DictReader(io.StringIO(curves_csv([("id-a", "run a", SCORED)]))))
    assert list(rows[0]) == ["epoch", "run", "d_loss", "g_loss", "quality", "precision", "recall", "density",
                             "coverage", "class_balance", "class_accuracy", "intra_quality", "run_id"]
    assert [(r["quality"], r["precision"], r["coverage"], r["class_balance"]) for r in rows] == [
        ("40.0", "", "", "0.7"), ("", "", "", ""), ("12.5", "0.8", "0.7", "0.93"), ("12.5", "", "", "0.95"),
        ("18.0", "", "", "0.88"), ("", "", "", "")]
    assert rows[0]["g_loss"] == "" and rows[0]["run_id"] == "id-a"


def test_grid_epoch_follows_the_shared_epoch_or_the_runs_best():
    from workbench.core.outputs.compare import grid_epoch
    from workbench.core.store.best_epoch import BestEpoch

    assert grid_epoch([1, 2, 3], 2) == (2, "epoch 2")
    assert grid_epoch([1, 2], 5) == (2, "epoch 2 (last)")
    assert grid_epoch([], 3) == (None, "no samples")
    assert grid_epoch([1, 2, 3], 3, BestEpoch(2, 1.84)) == (2, "epoch 2 (best, 1.84)")
    assert grid_epoch([1, 2, 3], 3, BestEpoch(7, 1.0)) == (3, "epoch 3 (last)")  # no grid of it: the shared epoch
