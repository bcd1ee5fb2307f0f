"""`evaluate` reads a score against the reference marks (printed, and the `marks` field of
`--json`), stores which classifier judged each epoch, and says when stored scores came from an
older classifier (`evaluate` and `show`)."""

import json

from test_cli import only_run

from workbench.cli import main
from workbench.core.evaluation.marks import format_score, marks_for, neighbours
from workbench.core.evaluation.versions import CLASSIFIER_VERSION


def test_evaluate_prints_the_marks_around_the_score_and_json_holds_them(data, capsys):
    assert main(["train", "--preset", "mlp-small", "--epochs", "2", "--max-batches", "10",
                 "--keep-checkpoint-every", "1", "--name", "marked"]) == 0
    run = only_run()
    capsys.readouterr()
    assert main(["evaluate", "marked", "--samples", "300", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    stored = run.metrics().epochs[-1]
    assert stored["classifier_version"] == result["classifier_version"] == CLASSIFIER_VERSION
    assert stored["classifier_key"] == result["classifier_key"] and "marks" not in stored
    marks = marks_for(result["classifier_key"])  # MNIST's: shipped with the package
    assert len(marks) == 8
    below, above = neighbours(result["quality"], marks)
    assert result["marks"]["below"] == (None if below is None else {"id": below.id, "name": below.name,
                                                                    "score": below.score})
    assert result["marks"]["above"] == (None if above is None else {"id": above.id, "name": above.name,
                                                                    "score": above.score})
    assert result["marks"]["text"].startswith(f"{format_score(result['quality'])}: ")
    assert result["older_scores"] == []

    assert main(["evaluate", "marked", "--samples", "300"]) == 0
    out = capsys.readouterr().out
    assert "Reference marks" in out and result["marks"]["text"] in out  # the same latent points: the same score


def test_scores_of_an_older_classifier_are_named_by_show_and_evaluate(data, capsys):
    assert main(["train", "--preset", "mlp-small", "--epochs", "2", "--max-batches", "5",
                 "--keep-checkpoint-every", "1", "--name", "old"]) == 0
    run = only_run()
    run.update_epoch_metrics(1, {"quality": 40.0, "coverage": 0.5, "classifier_accuracy": 0.987})  # as v2 stored
    run.update_epoch_metrics(2, {"quality": 30.0, "coverage": 0.5, "classifier_version": CLASSIFIER_VERSION - 1})
    capsys.readouterr()
    assert main(["show", "old"]) == 0
    out = capsys.readouterr().out
    assert "epochs 1, 2 was scored by an older feature classifier" in out and "--all-epochs" in out

    assert main(["evaluate", "old", "--epoch", "2", "--samples", "300", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["older_scores"] == [1]
    assert main(["evaluate", "old", "--epoch", "2", "--samples", "300"]) == 0
    assert "epoch 1 was scored by an older feature classifier" in capsys.readouterr().out
    assert main(["evaluate", "old", "--all-epochs", "--samples", "300"]) == 0
    assert "older feature classifier" not in capsys.readouterr().out
    assert main(["show", "old"]) == 0
    assert "older feature classifier" not in capsys.readouterr().out
