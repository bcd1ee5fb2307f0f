"""Runs tab quality for a folder of the user's images: Evaluate on a folder with one subfolder
per class trains its classifier in the background and the details show the scores with the
classifier's accuracy; on a folder without classes it says why there is no score."""

from __future__ import annotations

import pytest

from helpers.browser_runs import quiet_browser
from helpers.colour_runs import train_folder_run
from helpers.image_files import write_class_folders
from workbench.core.evaluation import folder_scoring

EVAL_TIMEOUT_MS = 120_000


@pytest.fixture(autouse=True)
def small_training(monkeypatch, fresh_scoring_memory):
    monkeypatch.setattr(folder_scoring, "FOLDER_TRAINING", {"epochs": 1, "min_steps": 24, "max_seconds": None})


@pytest.fixture
def browser(qtbot, monkeypatch):
    return quiet_browser(qtbot, monkeypatch, 256)


def evaluate(qtbot, browser, run) -> None:
    browser.refresh()
    browser.select_runs([run.id])
    assert browser.evaluate_selected()
    qtbot.waitUntil(lambda: not browser.evaluation.is_running(), timeout=EVAL_TIMEOUT_MS)


def test_evaluate_a_class_folder_run_shows_scores_and_the_classifier_accuracy(qtbot, browser, tmp_path):
    folder = tmp_path / "leaves"
    write_class_folders(folder, classes=3, per_class=60)
    run = train_folder_run(folder, 3, "leaves")
    evaluate(qtbot, browser, run)
    assert not [s for s in browser.said if s[0] == "error"], browser.said
    entry = run.metrics().epochs[-1]
    accuracy = entry["classifier_accuracy"]
    assert accuracy >= 0.9 and len(entry["class_hist"]) == 3
    browser.select_runs([run.id])
    caption = browser.details.quality.histogram.caption.text()
    assert f"judged by a classifier {accuracy:.1%} accurate on held-out images" in caption
    assert browser.details.quality.histogram.histogram() == entry["class_hist"]


def test_evaluate_a_folder_without_classes_says_why(qtbot, browser, tmp_path):
    run = train_folder_run(tmp_path / "pictures", 3, "plain")
    evaluate(qtbot, browser, run)
    kind, title, text = browser.said[-1]
    assert (kind, title) == ("error", "Cannot evaluate")
    assert "not available for dataset folder" in text and "one subfolder per class" in text
    assert "quality" not in run.metrics().epochs[-1]
