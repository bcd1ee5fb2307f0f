"""Quality scores for a folder of the user's images: available only with one subfolder per class
(clear reasons otherwise), a classifier trained on it once with a held-out split for its
accuracy and reference statistics, cached by the folder's content and the classifier version,
scores during training and from `evaluate` with that accuracy shown."""

import json
import shutil

import pytest
import torch

from helpers.colour_runs import folder_run_config, train_scored_run
from helpers.image_files import write_class_folders, write_images
from workbench.cli import main
from workbench.core.evaluation import folder_scoring, registry
from workbench.core.evaluation.classifier import EvaluationCancelled
from workbench.core.evaluation.folder_scoring import NotScorable, folder_scoring_model, held_out_split
from workbench.core.evaluation.marks import cached_marks_path, marks_for
from workbench.core.evaluation.run_scores import scoring_for


@pytest.fixture(autouse=True)
def small_training(monkeypatch, fresh_scoring_memory):
    monkeypatch.setattr(folder_scoring, "FOLDER_TRAINING", {"epochs": 1, "min_steps": 24, "max_seconds": None})


@pytest.fixture
def classes(tmp_path):
    folder = tmp_path / "leaves"
    write_class_folders(folder, classes=3, per_class=60, names=["oak", "maple", "birch"])
    return folder


def config_for(folder, **changes):
    return folder_run_config(folder, 3, **changes)


def test_folders_without_class_subfolders_say_why(tmp_path):
    loose = tmp_path / "loose"
    write_images(loose, 30)  # half beside the one subfolder
    one = tmp_path / "one"
    write_class_folders(one, classes=1)
    few = tmp_path / "few"
    write_class_folders(few, classes=2, per_class=60)
    for path in sorted((few / "class-b").glob("*.png"))[5:]:
        path.unlink()
    for folder, detail in ((loose, "15 images lie directly in it"), (one, "it has 1 class subfolder"),
                           (few, "fewer than 50 image files: class-b (5)")):
        with pytest.raises(NotScorable) as info:
            scoring_for(config_for(folder))
        text = str(info.value)
        assert f"not available for dataset folder {folder}" in text and detail in text, text
        assert "one subfolder per class (at least 2 classes of at least 50 images each" in text
    assert not registry.classifier_dir().exists()  # nothing was trained


def test_too_few_readable_images_in_a_class_is_said_after_reading(tmp_path):
    folder = tmp_path / "broken"
    write_class_folders(folder, classes=2, per_class=50)
    (folder / "class-a" / "000.png").write_bytes(b"not a picture")
    with pytest.raises(NotScorable, match=r"fewer than 50 readable images: class-a \(49\)"):
        scoring_for(config_for(folder))


def test_held_out_split_is_stratified_capped_and_repeatable(monkeypatch):
    labels = torch.tensor([0] * 50 + [1] * 30 + [2] * 20)
    train, test = held_out_split(labels, 3)
    assert torch.equal(torch.sort(torch.cat([train, test])).values, torch.arange(100))
    assert torch.bincount(labels[test]).tolist() == [10, 6, 4]
    assert torch.equal(test, held_out_split(labels, 3)[1])
    monkeypatch.setattr(folder_scoring, "MAX_TEST_IMAGES", 10)
    assert torch.bincount(labels[held_out_split(labels, 3)[1]]).tolist() == [5, 3, 2]


def test_a_class_folder_gets_a_classifier_trained_once_cached_and_retrained_on_change(classes, monkeypatch):
    calls = []
    real_train = folder_scoring.train_classifier
    monkeypatch.setattr(folder_scoring, "train_classifier", lambda *a, **k: calls.append(k) or real_train(*a, **k))
    progress = []
    first = folder_scoring_model(config_for(classes), progress=lambda f, t: progress.append(t))
    assert len(calls) == 1 and calls[0]["classes"] == 3 and calls[0]["indices"].shape[0] == 144
    assert calls[0]["epochs"] == 12  # two batches an epoch: min_steps decides
    assert any("3 classes" in t for t in progress)
    meta = first.meta
    assert meta["class_names"] == ["birch", "maple", "oak"] and meta["test_images"] == 36
    assert meta["channels"] == 3 and meta["train_images"] == 144
    assert meta["version"] == folder_scoring.FOLDER_CLASSIFIER_VERSION and f"folder-v{meta['version']}-" in first.key
    assert first.test_accuracy >= 0.9 and first.test_images.shape == (36, 3, 32, 32)
    assert first.reference.points.shape[0] == 36  # fewer held out than REFERENCE_IMAGES: all of them
    assert (registry.classifier_dir() / f"{first.key}.pt").exists()
    assert folder_scoring_model(config_for(classes)) is first  # in-process memo
    registry.forget_memo()
    second = folder_scoring_model(config_for(classes))  # from the cache folder
    assert len(calls) == 1 and second.meta["id"] == meta["id"]
    registry.forget_memo()
    shutil.copy(classes / "oak" / "000.png", classes / "oak" / "extra.png")  # the folder changed
    assert folder_scoring_model(config_for(classes)).key != first.key and len(calls) == 2
    registry.forget_memo()
    newer = folder_scoring.FOLDER_CLASSIFIER_VERSION + 1
    monkeypatch.setattr(folder_scoring, "FOLDER_CLASSIFIER_VERSION", newer)  # a new classifier version
    assert f"-v{newer}-" in folder_scoring_model(config_for(classes)).key and len(calls) == 3


def test_preparing_and_training_can_be_cancelled(classes):
    from workbench.core.data.training_data import prepared_folder

    with pytest.raises(EvaluationCancelled, match="Preparing the image folder"):
        folder_scoring_model(config_for(classes), cancel=lambda: True)
    prepared_folder(config_for(classes), "cpu")  # as a run has it: the cancel now lands in training
    with pytest.raises(EvaluationCancelled, match="Classifier training"):
        folder_scoring_model(config_for(classes), cancel=lambda: True)
    assert not list(registry.classifier_dir().glob("folder-*.pt"))


def test_a_class_folder_run_is_scored_while_training_and_by_evaluate(classes, capsys):
    config = config_for(classes, eval_samples=256, batch_size=8)
    run = train_scored_run(config, "leaves")
    scored = run.metrics().epochs[-1]
    assert scored["quality"] >= 0 and len(scored["class_hist"]) == 3 and sum(scored["class_hist"]) == 256
    assert all(0 <= scored[k] <= 1 for k in ("precision", "recall", "coverage", "class_balance"))
    accuracy = scored["classifier_accuracy"]
    assert accuracy >= 0.9
    # its reference marks: measured once on the 36 held-out images, cached beside its statistics
    assert scored["classifier_version"] == folder_scoring.FOLDER_CLASSIFIER_VERSION
    assert cached_marks_path(scored["classifier_key"]).exists()
    marks = {m.id: m.score for m in marks_for(scored["classifier_key"])}
    assert len(marks) == 8 and marks["real"] < marks["blur-2"] < marks["noise"]
    capsys.readouterr()
    assert main(["evaluate", "leaves", "--samples", "256", "--discriminator"]) == 0
    out = capsys.readouterr().out
    assert f"{accuracy:.1%}" in out and "36 held-out images of 3 classes" in out
    assert "Reference marks" in out
    assert "Discriminator report" in out and "36 real test images" in out
    assert main(["evaluate", "leaves", "--samples", "256", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["classifier_accuracy"] == pytest.approx(accuracy)


def test_evaluate_on_a_folder_without_classes_exits_with_the_reason(tmp_path, capsys):
    from helpers.colour_runs import train_folder_run

    run = train_folder_run(tmp_path / "pictures", 3, "plain")
    assert main(["evaluate", run.id]) == 1
    err = capsys.readouterr().err
    assert "not available for dataset folder" in err and "one subfolder per class" in err


def test_scoring_reads_the_copy_training_keeps_and_never_replaces_it(classes, tmp_path, monkeypatch):
    from workbench.core.data import training_data
    other = tmp_path / "other"
    write_class_folders(other, classes=2, per_class=50, seed=1)
    training_data.prepared_folder(config_for(classes), "cpu")  # as a run in training holds it
    calls = []
    real_prepare = training_data.prepare
    monkeypatch.setattr(training_data, "prepare", lambda *a, **k: calls.append(a) or real_prepare(*a, **k))
    folder_scoring_model(config_for(classes))
    assert calls == []  # the kept copy, not a second one
    folder_scoring_model(config_for(other))  # another run's folder, evaluated meanwhile
    assert len(calls) == 1
    training_data.prepared_folder(config_for(classes), "cpu")
    assert len(calls) == 1  # the training copy is still the kept one
