"""`evaluate --neighbours` on a real run: the near-copies sentence, the `memorisation` object of
--json, the ratio stored in the epoch's metrics line, and clear messages for an epoch without a
checkpoint and a dataset without a known training split."""

import json

from test_cli import only_run

from helpers.colour_runs import folder_run_config
from workbench.cli import main
from workbench.core.store.runs import RunStore

SAMPLES = "300"
MEMORISATION_KEYS = {"ratio", "threshold", "baseline", "samples", "epoch"}


def test_evaluate_neighbours_prints_the_share_stores_it_and_gives_json(data, small_training_split, capsys):
    assert main(["train", "--preset", "mlp-small", "--epochs", "2", "--max-batches", "5",
                 "--keep-checkpoint-every", "1", "--name", "copies"]) == 0
    run = only_run()
    capsys.readouterr()

    assert main(["evaluate", "copies", "--neighbours", "--samples", SAMPLES]) == 0
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if line.startswith("Near-copies, epoch 2: "))
    assert line.endswith("of 300 samples are nearer a training digit than 95% of held-out digits are "
                         "(held-out digits: 5%).")
    stored = run.metrics().epochs[-1]["memorisation"]
    assert MEMORISATION_KEYS <= stored.keys() and stored["epoch"] == 2 and stored["samples"] == 300
    assert stored["baseline"] == 0.05 and 0 <= stored["ratio"] <= 1 and stored["threshold"] > 0
    assert stored["classifier_key"] == run.metrics().epochs[-1]["classifier_key"]  # the classifier that scored
    assert f"{stored['ratio']:.1%} of 300 samples" in line

    assert main(["evaluate", "copies", "--epoch", "1", "--neighbours", "--json", "--samples", SAMPLES]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result["memorisation"]) == MEMORISATION_KEYS and result["memorisation"]["epoch"] == 1
    assert result["epoch"] == 1 and "quality" in result  # the scores come too
    first = run.metrics().epochs[0]["memorisation"]
    assert first["ratio"] == result["memorisation"]["ratio"]


def test_evaluate_neighbours_says_what_is_wrong_without_a_traceback(data, small_training_split, tmp_path, capsys):
    assert main(["train", "--preset", "mlp-small", "--epochs", "1", "--max-batches", "3", "--name", "one"]) == 0
    capsys.readouterr()
    assert main(["evaluate", "one", "--neighbours", "--epoch", "7", "--samples", SAMPLES]) == 1
    err = capsys.readouterr().err
    assert "epoch: 7 has no checkpoint" in err and "epochs with one: 1" in err and "Traceback" not in err

    RunStore().create(folder_run_config(tmp_path / "pictures"), name="pictures")
    assert main(["evaluate", "pictures", "--neighbours"]) == 2
    err = capsys.readouterr().err
    assert "--neighbours: near-copies are measured only for the built-in datasets" in err
    assert "trains on folder" in err and "Traceback" not in err
