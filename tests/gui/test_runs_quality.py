"""Runs tab quality: the score columns (quality, precision … class balance), Evaluate in the background (progress,
cancel, errors), and the details' quality section (plot, class histogram following the grid
slider, collapse badge, discriminator report)."""

from __future__ import annotations

import json
import shutil
import time

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QProgressBar, QPushButton

from helpers.browser_runs import populate, quiet_browser
from workbench.gui.runs import COLUMNS
from workbench.gui.workers import running_threads

EVAL_SAMPLES = 300  # the core's minimum is 256; small keeps a real evaluation about a second
EVAL_TIMEOUT_MS = 180_000  # the first evaluation of a session computes the test-split statistics


@pytest.fixture
def runs(isolated_home):
    return populate(isolated_home)


@pytest.fixture
def make_browser(qtbot, monkeypatch):
    return lambda: quiet_browser(qtbot, monkeypatch, EVAL_SAMPLES)


def shown_names(browser) -> list[str]:
    proxy, name = browser.proxy, COLUMNS.index("name")
    return [proxy.index(r, name).data() for r in range(proxy.rowCount())]


def cell(browser, name: str, column: str, role=Qt.ItemDataRole.DisplayRole):
    for r in range(browser.proxy.rowCount()):
        if browser.proxy.index(r, COLUMNS.index("name")).data() == name:
            return browser.proxy.index(r, COLUMNS.index(column)).data(role)
    raise AssertionError(f"no row {name!r}")


def score(run, epoch: int, **values) -> None:
    run.update_epoch_metrics(epoch, values)


def one_class(index: int, total: int = 300) -> list[int]:
    return [total if i == index else 0 for i in range(10)]


EVEN = [30] * 10


def test_score_columns_show_and_sort_with_unscored_runs_last(runs, make_browser):
    score(runs["alpha"], 2, quality=12.345, precision=0.62, recall=0.81, density=0.7, coverage=0.75,
          class_balance=0.5)
    score(runs["beta"], 3, quality=3.2, precision=0.88, recall=0.4, density=1.02, coverage=0.6, class_balance=0.91)
    browser = make_browser()
    assert [cell(browser, "alpha", c) for c in ("quality", "precision", "recall", "density", "coverage",
                                                "class_balance")] == ["12.35", "0.62", "0.81", "0.70", "0.75", "0.50"]
    assert cell(browser, "beta", "quality") == "3.20" and cell(browser, "beta", "class_balance") == "0.91"
    assert all(cell(browser, "gamma", c) == "" for c in ("quality", "precision", "recall", "class_balance"))
    header = browser.model.headerData(COLUMNS.index("quality"), Qt.Orientation.Horizontal,
                                      Qt.ItemDataRole.ToolTipRole)
    assert header == "Fréchet score of the last evaluated epoch, lower is better"
    assert [browser.model.headerData(COLUMNS.index(c), Qt.Orientation.Horizontal)
            for c in ("precision", "recall", "density", "coverage", "class_balance")] == [
        "Precision", "Recall", "Density", "Coverage", "Class balance"]

    table = browser.table
    for column, ascending in (("quality", ["beta", "alpha"]), ("precision", ["alpha", "beta"]),
                              ("recall", ["beta", "alpha"]), ("class_balance", ["alpha", "beta"])):
        table.sortByColumn(COLUMNS.index(column), Qt.SortOrder.AscendingOrder)
        assert shown_names(browser) == ascending + ["gamma"], column
        table.sortByColumn(COLUMNS.index(column), Qt.SortOrder.DescendingOrder)
        assert shown_names(browser) == ascending[::-1] + ["gamma"], column  # unscored last both ways

    score(runs["gamma"], 2, quality=1.0, class_balance=1.0)  # a live refresh re-sorts with the new score
    browser.refresh()
    assert shown_names(browser) == ["gamma", "beta", "alpha"]


def test_a_run_scored_before_the_rename_shows_its_coverage_as_class_balance(runs, make_browser):
    line = {"epoch": 1, "d_loss": 1.0, "g_loss": 1.0, "quality": 9.0, "coverage": 0.97}  # as 0.1.0 wrote it
    runs["gamma"].metrics_file.write_text(json.dumps(line) + "\n")
    browser = make_browser()
    assert cell(browser, "gamma", "class_balance") == "0.97" and cell(browser, "gamma", "quality") == "9.00"
    assert cell(browser, "gamma", "coverage") == "" and cell(browser, "gamma", "precision") == ""
    assert cell(browser, "gamma", "recall", Qt.ItemDataRole.ToolTipRole).startswith("Not measured")
    assert cell(browser, "alpha", "recall", Qt.ItemDataRole.ToolTipRole) == "Not evaluated yet"


def test_evaluate_scores_a_real_run_in_the_background_and_the_row_updates(runs, make_browser, qtbot):
    browser = make_browser()
    alpha = runs["alpha"]
    browser.select_runs([alpha.id])
    assert browser.evaluate_action.isEnabled() and cell(browser, "alpha", "quality") == ""
    assert "Not evaluated yet" in browser.details.quality.placeholder.text()
    bar = browser.findChild(QProgressBar, "evaluateProgress")
    values = []
    bar.valueChanged.connect(values.append)
    ticks = []
    timer = QTimer(browser)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(20)

    started = time.monotonic()
    browser.evaluate_action.trigger()
    assert time.monotonic() - started < 1.0  # the work is in the worker, not in the click
    assert browser.evaluation.is_running() and bar.isVisible() and not browser.evaluate_action.isEnabled()
    assert browser.findChild(QPushButton, "evaluateCancel").isVisible()
    qtbot.waitUntil(lambda: not browser.evaluation.is_running(), timeout=EVAL_TIMEOUT_MS)
    timer.stop()

    assert browser.said == []
    assert len(ticks) >= 5  # the GUI thread kept running its timers meanwhile
    assert values and max(values) > 0
    assert not bar.isVisible() and not running_threads() and browser.evaluate_action.isEnabled()
    entry = alpha.metrics().epochs[-1]
    assert isinstance(entry["quality"], float) and entry["eval_samples"] == EVAL_SAMPLES
    assert sum(entry["class_hist"]) == EVAL_SAMPLES
    assert cell(browser, "alpha", "quality") == f"{entry['quality']:.2f}"
    for column in ("precision", "recall", "density", "coverage", "class_balance"):
        assert cell(browser, "alpha", column) == f"{entry[column]:.2f}"
    details = browser.details.quality
    assert details.plot_area.currentWidget() is details.plot
    assert list(details.plot.series_data("quality")[0]) == [2.0]
    assert details.histogram.histogram() == entry["class_hist"]
    report = json.loads((alpha.path / "discriminator.json").read_text())
    assert report["epoch"] == 2 and details.report_view.report == report
    assert "at threshold 0.5" in details.report_view.summary.text()


def test_cancel_stops_the_evaluation_and_keeps_the_tab_usable(runs, make_browser, qtbot):
    beta = runs["beta"]
    for epoch in (1, 2):  # more epochs to score, so Cancel lands before the last one
        shutil.copy(beta.latest_checkpoint, beta.checkpoints_dir / f"epoch-{epoch:04d}.pt")
    browser = make_browser()
    browser.select_runs([beta.id])
    assert browser.evaluate_selected()
    qtbot.mouseClick(browser.findChild(QPushButton, "evaluateCancel"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not browser.evaluation.is_running(), timeout=EVAL_TIMEOUT_MS)

    assert [s[:2] for s in browser.said] == [("info", "Evaluation cancelled")]
    assert "quality" not in beta.metrics().epochs[-1]
    assert not (beta.path / "discriminator.json").exists()
    assert not browser.findChild(QProgressBar, "evaluateProgress").isVisible()
    assert browser.evaluate_action.isEnabled() and not running_threads()


def test_evaluate_refuses_runs_it_cannot_score_and_reports_worker_errors(runs, make_browser, qtbot, monkeypatch,
                                                                         tmp_path):
    gamma = runs["gamma"]
    browser = make_browser()
    browser.select_runs([gamma.id])
    with gamma.lock():  # as a trainer holds it
        assert not browser.evaluate_selected()
    assert browser.said[-1][0] == "error" and "being trained" in browser.said[-1][2]
    assert not browser.evaluation.is_running()

    gamma.latest_checkpoint.unlink()
    browser.select_runs([runs["alpha"].id])
    browser.select_runs([gamma.id])
    assert not browser.evaluate_action.isEnabled()
    assert not browser.evaluate_selected() and "no checkpoint" in browser.said[-1][2]

    empty = tmp_path / "no-data"
    empty.mkdir()
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(empty))  # the worker looks for MNIST there
    browser.select_runs([runs["alpha"].id])
    assert browser.evaluate_selected()
    qtbot.waitUntil(lambda: not browser.evaluation.is_running(), timeout=EVAL_TIMEOUT_MS)
    kind, title, text = browser.said[-1]
    assert (kind, title) == ("error", "Cannot evaluate") and "not found" in text and "Traceback" not in text
    assert "quality" not in runs["alpha"].metrics().epochs[-1]


def test_closing_the_browser_while_evaluating_leaves_no_thread(runs, make_browser):
    browser = make_browser()
    browser.select_runs([runs["alpha"].id])
    assert browser.evaluate_selected() and running_threads()
    browser.close()
    assert not browser.evaluation.is_running() and not running_threads()


def test_class_histogram_and_collapse_badge_follow_the_grid_slider(runs, make_browser):
    beta = runs["beta"]
    hists = {1: one_class(3), 2: EVEN, 3: [100, 0, 0, 0, 0, 0, 0, 0, 0, 200]}
    for epoch, hist in hists.items():
        score(beta, epoch, quality=50.0 / epoch, class_balance=0.9, class_hist=hist, eval_samples=300)
    browser = make_browser()
    browser.select_runs([beta.id])
    details = browser.details
    histogram, badge, slider = details.quality.histogram, details.quality.badge, details.grid_view.slider
    assert details.grid_view.current_epoch() == 3 and histogram.histogram() == hists[3]
    assert badge.isVisible() and "digit 9" in badge.reason
    assert list(details.quality.plot.series_data("quality")[0]) == [1.0, 2.0, 3.0]

    slider.setValue(0)
    assert details.grid_view.current_epoch() == 1 and histogram.histogram() == hists[1]
    assert badge.isVisible() and "digit 3 is 100% of samples" in badge.reason
    assert "Possible mode collapse" in badge.text()
    slider.setValue(1)
    assert histogram.histogram() == hists[2] and not badge.isVisible() and badge.reason is None


def test_collapse_badge_shows_for_a_one_class_run_only(runs, make_browser):
    score(runs["alpha"], 2, quality=80.0, class_balance=0.0, class_hist=one_class(7), eval_samples=300)
    score(runs["gamma"], 2, quality=9.0, class_balance=1.0, class_hist=EVEN, eval_samples=300)
    browser = make_browser()
    badge = browser.findChild(type(browser.details.quality.badge), "collapseBadge")
    browser.select_runs([runs["alpha"].id])
    assert badge.isVisible() and "digit 7" in badge.text()
    browser.select_runs([runs["gamma"].id])
    assert not badge.isVisible()
    browser.select_runs([runs["beta"].id])  # not evaluated at all
    assert not badge.isVisible()
    assert browser.details.quality.histogram.histogram() == []
    assert "Not evaluated yet" in browser.details.quality.histogram.caption.text()


def test_stored_discriminator_report_shows_as_histograms_and_a_metrics_line(runs, make_browser):
    report = {"samples": 1000, "bins": [i / 20 for i in range(21)],
              "real_hist": [0] * 15 + [100, 200, 300, 250, 150], "fake_hist": [400, 300, 200, 100] + [0] * 16,
              "mean_real": 0.86, "mean_fake": 0.12, "precision": 0.8, "recall": 0.9, "f1": 0.847,
              "accuracy": 0.85, "epoch": 2}
    (runs["alpha"].path / "discriminator.json").write_text(json.dumps(report))
    browser = make_browser()
    view = browser.details.quality.report_view
    browser.select_runs([runs["alpha"].id])
    assert view.report == report and view.plot_widget.isVisibleTo(view)
    assert "precision 0.800 · recall 0.900 · F1 0.847 at threshold 0.5" in view.summary.text()
    real_x, fake_x = np.asarray(view.real_bars.opts["x"]), np.asarray(view.fake_bars.opts["x"])
    assert np.allclose(view.real_bars.opts["height"], np.asarray(report["real_hist"]) / 1000)
    assert np.allclose(view.fake_bars.opts["height"], np.asarray(report["fake_hist"]) / 1000)
    assert (real_x < fake_x).all() and len(real_x) == 20  # side by side within each bin

    browser.select_runs([runs["gamma"].id])
    assert view.report is None and not view.plot_widget.isVisibleTo(view)
    assert "Not evaluated yet" in view.summary.text()


def test_a_header_saved_with_other_columns_is_not_restored(runs, make_browser, tmp_path):
    from PySide6.QtCore import QSettings

    browser = make_browser()
    browser.table.sortByColumn(COLUMNS.index("coverage"), Qt.SortOrder.DescendingOrder)
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    browser.save_state(settings)
    again = make_browser()
    again.restore_state(settings)
    assert again.table.horizontalHeader().sortIndicatorSection() == COLUMNS.index("coverage")

    settings.setValue("runs/columns", ",".join(c for c in COLUMNS if c not in ("quality", "coverage")))
    older = make_browser()  # widths and sort column of a layout without the quality columns
    older.restore_state(settings)
    assert older.table.horizontalHeader().sortIndicatorSection() == COLUMNS.index("created")
