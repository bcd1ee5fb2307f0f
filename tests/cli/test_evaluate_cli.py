"""Quality on the command line and in the run store: `evaluate` on a real run (one epoch, all
kept epochs, JSON, the discriminator report), runs from before evaluation existed, evaluation
during training, the default preset and the collapse settings."""

import json

import pytest
from test_cli import only_run

from workbench.cli import main
from workbench.core.config import ConfigError, TrainConfig
from workbench.core.presets import DEFAULT_PRESET, PRESETS, preset_config

QUALITY_KEYS = {"quality", "precision", "recall", "density", "coverage", "class_balance", "confidence", "class_hist",
                "epoch"}


def test_eval_samples_is_validated_with_its_allowed_values():
    assert TrainConfig(eval_samples=0).validate() == []
    assert TrainConfig(eval_samples=256).validate() == []
    with pytest.raises(ConfigError) as e:
        TrainConfig(eval_samples=100).check()
    assert "eval_samples: 100" in str(e.value) and "at least 256" in str(e.value)
    # configs saved before the field existed load with evaluation off
    old = preset_config("mlp-small").to_dict()
    del old["eval_samples"]
    assert TrainConfig.from_dict(old).eval_samples == 0


def test_default_preset_is_marked_used_without_preset_and_evaluates(data, capsys):
    assert DEFAULT_PRESET in PRESETS and PRESETS[DEFAULT_PRESET].config.eval_samples > 0
    assert main(["presets"]) == 0
    assert f"{DEFAULT_PRESET} (default)" in capsys.readouterr().out
    assert main(["train", "--epochs", "1", "--max-batches", "3", "--eval-samples", "300"]) == 0
    out = capsys.readouterr().out
    run = only_run()
    assert run.info()["preset"] == DEFAULT_PRESET and "quality" in out.splitlines()[2]
    (entry,) = run.metrics().epochs
    assert QUALITY_KEYS - {"epoch"} <= entry.keys() and entry["eval_samples"] == 300
    assert sum(entry["class_hist"]) == 300 and all(0 <= entry[k] <= 1 for k in ("precision", "recall", "coverage",
                                                                                "class_balance"))
    assert run.summary().quality == entry["quality"]


def test_evaluate_scores_and_stores_epochs_prints_json_and_the_discriminator_report(data, capsys):
    assert main(["train", "--preset", "mlp-small", "--epochs", "3", "--max-batches", "10",
                 "--keep-checkpoint-every", "1", "--name", "scored"]) == 0
    run = only_run()
    assert all("quality" not in m for m in run.metrics().epochs)  # evaluation off in that preset
    assert main(["runs"]) == 0
    row = [line for line in capsys.readouterr().out.splitlines() if line.startswith(run.id)][0]
    assert row.split()[-7:-2] == ["-"] * 5  # quality, precision, recall, class balance and collapse empty before

    assert main(["evaluate", "scored", "--json", "--samples", "300"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert QUALITY_KEYS <= result.keys() and result["epoch"] == 3 and sum(result["class_hist"]) == 300
    stored = run.metrics().epochs
    assert stored[-1]["quality"] == result["quality"] and "quality" not in stored[0]
    assert run.summary().quality == result["quality"]

    assert main(["evaluate", "scored", "--all-epochs", "--samples", "300"]) == 0
    out = capsys.readouterr().out
    assert [m.get("quality") is not None for m in run.metrics().epochs] == [True, True, True]
    epoch_rows = [line for line in out.splitlines() if line.split()[:1] and line.split()[0].isdigit()]
    assert "lower is better" in out and len(epoch_rows) == 3
    assert "quality  precision  recall  density  coverage  balance  confidence" in out
    assert "recall and coverage: how much of the real images they cover" in out

    assert main(["evaluate", "scored", "--epoch", "1", "--discriminator", "--samples", "300"]) == 0
    out = capsys.readouterr().out
    assert "Discriminator report, epoch 1" in out and "precision" in out and "F1" in out
    report = json.loads((run.path / "discriminator.json").read_text())
    assert report["epoch"] == 1 and sum(report["real_hist"]) == report["samples"] == 10000
    assert 0 <= report["precision"] <= 1 and 0 <= report["recall"] <= 1

    assert main(["show", "scored"]) == 0
    out = capsys.readouterr().out
    first = run.metrics().epochs[0]
    assert f"{first['quality']:8.3f}  {first['precision']:9.3f}  {first['recall']:6.3f}" in out
    assert "quality  precision  recall  density  coverage  balance" in out


def test_evaluate_refuses_bad_requests_with_a_clear_message(data, capsys):
    assert main(["train", "--preset", "mlp-small", "--epochs", "1", "--max-batches", "3", "--name", "r"]) == 0
    capsys.readouterr()
    assert main(["evaluate", "r", "--epoch", "7"]) == 1
    assert "epoch: 7 has no checkpoint" in capsys.readouterr().err
    assert main(["evaluate", "r", "--samples", "10"]) == 2
    assert "samples: 10 is not allowed" in capsys.readouterr().err
    run = only_run()
    run.latest_checkpoint.unlink()
    assert main(["evaluate", "r"]) == 1
    assert "no checkpoint yet" in capsys.readouterr().err


def test_a_run_from_before_evaluation_lists_compares_and_evaluates(data, capsys):
    """Old runs have no eval_samples in config.json and no scores in metrics.jsonl."""
    assert main(["train", "--preset", "mlp-small", "--epochs", "2", "--max-batches", "5", "--name", "old"]) == 0
    run = only_run()
    config = json.loads(run.config_file.read_text())
    del config["eval_samples"]
    run.config_file.write_text(json.dumps(config))
    summary = run.summary()
    assert summary.status == "finished" and summary.quality is None and summary.class_balance is None
    from workbench.core.outputs.compare import run_stats

    assert run_stats(run.metrics().epochs)["epochs"] == 2
    capsys.readouterr()
    assert main(["evaluate", "old", "--samples", "300", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["epoch"] == 2 and run.summary().quality is not None


def test_collapse_thresholds_are_a_setting(capsys):
    assert main(["settings", "--collapse-class-balance", "0.5", "--collapse-share", "0.6"]) == 0
    assert "class balance < 0.50 or one class > 60%" in capsys.readouterr().out
    assert main(["settings", "--collapse-coverage", "0.4"]) == 0  # the flag's name before the rename
    assert "class balance < 0.40 or one class > 60%" in capsys.readouterr().out
    assert main(["settings", "--collapse-share", "2"]) == 2
    assert "collapse-share: 2.0 is not allowed" in capsys.readouterr().err
