"""config_diff and the comparison CSV: plain data, no Qt."""

import csv
import io

from workbench.core.compare import config_diff, curves_csv, run_stats, write_curves_csv
from workbench.core.config import field_names
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
                     "images_per_sec": 2000.0}
    assert run_stats([], 5.0)["final_d_loss"] is None

    curves = [("id-a", "run a", epochs), ("id-b", "run b", epochs[:1])]
    path = write_curves_csv(curves, tmp_path / "curves.csv")
    rows = list(csv.DictReader(path.open()))
    assert [(r["epoch"], r["run"]) for r in rows] == [("1", "run a"), ("2", "run a"), ("1", "run b")]
    assert float(rows[1]["g_loss"]) == 0.9
    assert list(csv.reader(io.StringIO(curves_csv([]))))[0][:4] == ["epoch", "run", "d_loss", "g_loss"]
