"""The training tab's quality view: a run with evaluation on draws its quality curve live, its
tooltip holds every score of the epoch under the mouse, the class histogram follows the epoch
slider, and the collapse badge names the reason."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from workbench.core.events import Finished
from workbench.core.presets import preset_config


def entry(epoch, hist, quality):
    total = sum(hist)
    return {"epoch": epoch, "d_loss": 1.0, "g_loss": 1.0, "d_real": 0.5, "d_fake": 0.5,
            "quality": quality, "precision": 0.7, "recall": 0.1 * epoch, "density": 0.9, "coverage": 0.8,
            "class_balance": 0.5, "confidence": 0.9, "class_hist": hist, "eval_samples": total}


def test_run_with_evaluation_draws_quality_and_class_histogram_live(qtbot, view, data_dir):
    config = preset_config("mlp-small").with_changes(data_dir=data_dir, epochs=2, max_batches=10, eval_samples=300)
    view.form.set_config(config)
    with qtbot.waitSignal(view.run_started, timeout=5000) as started:
        qtbot.mouseClick(view.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not view.is_training(), timeout=60_000)
    assert isinstance(view.last_final_event(), Finished)
    live = view.live_view
    live.flush()
    assert live.quality_plot.isVisible() and live.class_histogram.isVisible()
    stored = started.args[0].metrics().epochs
    x, y = live.quality_plot.series_data("quality")
    assert list(x) == [1, 2] and np.allclose(10 ** y, [e["quality"] for e in stored])
    cx, cy = live.quality_plot.class_balance_data()
    assert np.allclose(cy, [e["class_balance"] for e in stored])
    assert all(0 <= e[k] <= 1 for e in stored for k in ("precision", "recall", "coverage"))
    live.quality_plot.show_values_at(2.2)
    assert f"precision {stored[1]['precision']:.3f}" in live.quality_plot.plot_widget.toolTip()
    assert live.class_histogram.histogram() == stored[-1]["class_hist"]
    assert sum(live.class_histogram.histogram()) == 300


def test_histogram_and_badge_follow_the_epoch_slider(qtbot, view):
    live = view.live_view
    live.set_evaluating(True)
    collapsed, even = [5, 630, 85] + [40] * 7, [100] * 10
    grids = {e: np.full((30, 30), 40 * e, np.uint8) for e in (1, 2, 3)}
    live.load_history([entry(1, collapsed, 80.0), entry(2, even, 20.0), entry(3, even, 9.0)], grids)
    live.flush()
    grid = live.grid_view
    assert grid.current_epoch() == 3 and live.class_histogram.histogram() == even
    assert live.collapse_badge.isHidden()
    grid.slider.setValue(0)
    assert grid.current_epoch() == 1 and live.class_histogram.histogram() == collapsed
    badge = view.findChild(type(live.collapse_badge), "collapseBadge")
    assert badge is live.collapse_badge and badge.isVisible()
    assert "Possible mode collapse: digit 1 is 63% of samples" in badge.text()
    grid.slider.setValue(1)
    assert live.class_histogram.histogram() == even and badge.isHidden()


def test_the_quality_plot_tooltip_names_fidelity_and_diversity_apart(qtbot, view):
    live = view.live_view
    live.set_evaluating(True)
    old = {"epoch": 1, "d_loss": 1.0, "g_loss": 1.0, "quality": 40.0, "class_balance": 0.9}  # scored by 0.1
    live.load_history([old, entry(2, [100] * 10, 20.0), entry(3, [100] * 10, 9.0)],
                      {e: np.zeros((30, 30), np.uint8) for e in (1, 2, 3)})
    live.flush()
    plot = live.quality_plot
    plot.show_values_at(2.4)
    assert plot.plot_widget.toolTip().splitlines() == [
        "Epoch 2: Fréchet score 20.000 (lower is better)",
        "precision 0.700 · density 0.900: how real the samples look",
        "recall 0.200 · coverage 0.800: how much of the real images they cover",
        "class balance 0.500 (1 = every class equally often)"]
    plot.show_values_at(0.8)
    assert "not measured for this epoch" in plot.plot_widget.toolTip()
    assert "class balance 0.900" in plot.plot_widget.toolTip()


def test_runs_without_scores_hide_the_quality_view(qtbot, view):
    live = view.live_view
    live.set_evaluating(False)
    live.load_history([{"epoch": 1, "d_loss": 1.0, "g_loss": 1.0}], {1: np.zeros((30, 30), np.uint8)})
    assert live.quality_plot.isHidden() and live.class_histogram.isHidden() and live.collapse_badge.isHidden()


def test_collapse_thresholds_dialog_saves_settings_and_rejudges_the_shown_epoch(qtbot, monkeypatch):
    from workbench.core.evaluation.class_balance import CollapseThresholds
    from workbench.gui.main_window import MainWindow
    from workbench.gui.settings_dialog import CollapseSettingsDialog

    window = MainWindow()
    qtbot.addWidget(window)
    live = window.training_view.live_view
    live.set_evaluating(True)
    live.load_history([entry(1, [0, 400] + [600 // 8] * 8, 30.0)], {1: np.zeros((30, 30), np.uint8)})
    assert live.collapse_badge.reason.startswith("digit 1 is 40%")

    def loosen(dialog):
        dialog.share.setValue(0.5)
        dialog.balance.setValue(0.2)
        dialog.accept()
        return True

    monkeypatch.setattr(CollapseSettingsDialog, "exec", loosen)
    assert window.edit_collapse_thresholds()
    assert CollapseThresholds.from_settings() == CollapseThresholds(0.2, 0.5)
    assert live.collapse_badge.reason is None and live.collapse_badge.isHidden()
