"""The near-copies strip of the Runs tab: a click on a grid sample or a class histogram bar opens
a window of that class's samples, each beside its three nearest training images, computed in a
worker (the click returns at once); the ratio is then stored and shown in the details. An epoch
without a checkpoint is said in words."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from helpers.browser_runs import populate, quiet_browser
from workbench.core.evaluation.run_scores import evaluate_run

STRIP_TIMEOUT_MS = 180_000  # the first strip of a session computes the test statistics and training features


@pytest.fixture
def runs(isolated_home, small_training_split):
    return populate(isolated_home)


@pytest.fixture
def browser(qtbot, monkeypatch):
    return quiet_browser(qtbot, monkeypatch, 300)


def click_grid_sample(qtbot, details, index: int) -> float:
    """Click the middle of the grid's sample `index` (8 across, 28 px each, 2 px gaps); returns
    how long the click took."""
    view = details.grid_view.image_view
    rect, scale = view.target_rect(), view.target_rect().width() / view.image().width()
    row, col = divmod(index, 8)
    point = QPoint(rect.x() + int((2 + col * 30 + 14) * scale), rect.y() + int((2 + row * 30 + 14) * scale))
    started = time.monotonic()
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=point)
    return time.monotonic() - started


def finished_strip(qtbot, details):
    strip = details.strip
    assert strip is not None and strip.isVisible()
    qtbot.waitUntil(lambda: not strip.is_busy(), timeout=STRIP_TIMEOUT_MS)
    return strip


def test_clicking_a_grid_sample_opens_its_class_with_three_neighbours_each(runs, browser, qtbot):
    alpha = runs["alpha"]
    browser.select_runs([alpha.id])
    details = browser.details
    assert "click a sample or a bar" in details.quality.near_copies.text()
    assert click_grid_sample(qtbot, details, 9) < 1.0  # the work is in the worker, not in the click
    assert details.strip.is_busy()
    strip = finished_strip(qtbot, details)

    assert strip.message == "", strip.message
    shown, clicked = strip.strip, strip.strip["clicked"]
    assert clicked["index"] == 9 and clicked["image"].shape == (28, 28)
    assert shown["epoch"] == 2 and shown["samples"] == 2000 and 1 <= len(shown["rows"]) <= 8
    assert len(strip.shown_rows) == 1 + len(shown["rows"])  # the clicked sample first
    assert all(len(neighbours) == 3 for _, neighbours in strip.shown_rows)
    assert all(len(row["neighbours"]) == 3 for row in [clicked, *shown["rows"]])
    nearest = [row["neighbours"][0]["distance"] for row in shown["rows"]]
    assert nearest == sorted(nearest)  # the likeliest copies first
    assert shown["class_name"] in strip.heading.text() and "Near-copies, epoch 2: " in strip.status.text()

    stored = alpha.metrics().epochs[-1]["memorisation"]
    assert stored["samples"] == 2000 and stored["ratio"] == shown["memorisation"]["ratio"]
    label = details.quality.near_copies
    assert label.text() == f"<b>Near-copies</b>, epoch 2: {stored['ratio']:.1%} of samples (held-out: 5%)"
    assert "of 2,000 samples are nearer a training digit than 95% of held-out digits are" in label.toolTip()


def test_clicking_a_histogram_bar_opens_that_class(runs, browser, qtbot):
    beta = runs["beta"]
    evaluate_run(beta, samples=300)  # the histogram to click: 300 samples' classes
    hist = beta.metrics().epochs[-1]["class_hist"]
    top = max(range(10), key=hist.__getitem__)
    browser.select_runs([beta.id])
    histogram = browser.details.quality.histogram
    assert histogram.histogram() == hist
    box = histogram.plot_widget.getPlotItem().vb
    scene = box.mapViewToScene(QPointF(top, hist[top] / sum(hist) / 2))
    qtbot.mouseClick(histogram.plot_widget.viewport(), Qt.MouseButton.LeftButton,
                     pos=histogram.plot_widget.mapFromScene(scene))
    strip = finished_strip(qtbot, browser.details)

    assert strip.message == "", strip.message
    shown = strip.strip
    assert shown["class"] == top and shown["in_class"] == hist[top] and shown["samples"] == 300
    assert "clicked" not in shown and len(shown["rows"]) == min(8, hist[top]) == len(strip.shown_rows)
    assert all(len(neighbours) == 3 for _, neighbours in strip.shown_rows)


def test_an_epoch_without_a_checkpoint_is_said_in_words(runs, browser, qtbot):
    browser.select_runs([runs["alpha"].id])
    details = browser.details
    details.grid_view.slider.setValue(0)  # epoch 1: only the latest checkpoint (epoch 2) is kept
    click_grid_sample(qtbot, details, 0)
    strip = finished_strip(qtbot, details)
    assert strip.strip is None and "epoch: 1 has no checkpoint" in strip.message
    assert "Cannot show near-copies" in strip.status.text() and not strip.shown_rows
