"""LossPlot and SmoothingControl: series, smoothing of non-faint series only, hover read-out."""

from __future__ import annotations

import numpy as np

from workbench.core.outputs.smoothing import ema
from workbench.gui.plots.loss_plot import LossPlot, SmoothingControl


def test_series_create_update_remove(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.set_series("d", [1, 2], [0.5, 0.6], "r", markers=True, name="D loss")
    item = plot._series["d"].item
    plot.set_series("d", [1, 2, 3], [0.5, 0.6, 0.7], "r")
    assert plot._series["d"].item is item, "one curve per series, updated with setData"
    x, y = plot.series_data("d")
    assert list(x) == [1, 2, 3] and np.allclose(y, [0.5, 0.6, 0.7])
    plot.set_series_visible("d", False)
    assert not item.isVisible()
    plot.remove_series("d")
    assert plot.series_keys() == []
    assert plot.plot_widget.getPlotItem().getAxis("bottom").labelText == "epoch"


def test_smoothing_applies_to_non_faint_only(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    y = [1.0, 3.0, 0.0, 4.0, 2.0]
    plot.set_series("g", range(1, 6), y, "b", name="G loss")
    plot.set_series("g_batch", np.linspace(0, 5, 5), y, "b", faint=True)
    plot.set_smoothing(0.6)
    assert np.allclose(plot.series_data("g")[1], ema(y, 0.6))
    assert np.allclose(plot.series_data("g_batch")[1], y)
    plot.set_smoothing(0)
    assert np.allclose(plot.series_data("g")[1], y)
    plot.clear()
    assert plot.series_keys() == []


def test_hover_readout_names_values(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.set_series("d", [1, 2, 3], [0.25, 0.5, 0.75], "r", name="D loss")
    plot.set_series("g", [1, 2, 3], [2.0, 1.5, 1.0], "b", name="G loss")
    text = plot.show_values_at(2.2)
    assert "D loss <b>0.5</b>" in text and "G loss <b>1.5</b>" in text
    assert plot.hover_label.text() == text


def test_smoothing_control_emits_weight(qtbot):
    control = SmoothingControl()
    qtbot.addWidget(control)
    seen = []
    control.weight_changed.connect(seen.append)
    control.slider.setValue(99)
    assert seen == [0.99] and control.weight() == 0.99
    assert control.value_label.text() == "0.99"
    control.set_weight(5)
    assert control.weight() == 0.99
