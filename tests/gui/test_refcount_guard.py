"""The installed PySide6 must not leak references to None.

PySide6 6.12.0 on Python 3.11 drops one reference to None on every call that returns nothing
(pyqtgraph's calls do the same to True/False); after a few thousand calls Python aborts with
"none_dealloc: deallocating None". pyproject.toml keeps that version off Python < 3.12; this
test fails loudly if a leaking build is installed anyway.
"""

from __future__ import annotations

import sys


def test_void_qt_calls_do_not_leak_none():
    from PySide6.QtCore import QPointF

    point = QPointF()
    before_none, before_true = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(1000):
        point.setX(1.0)  # returns None
        point.isNull()  # returns a bool
    if sys.version_info < (3, 12):  # immortal singletons from 3.12 on
        assert before_none - sys.getrefcount(None) < 10
        assert before_true - sys.getrefcount(True) < 10


def test_many_repaints_survive(qtbot):
    from workbench.gui.plots.loss_plot import LossPlot

    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(400, 300)
    plot.show()
    for i in range(30):
        plot.set_series("d", range(i + 2), [0.5] * (i + 2), "r", markers=True, name="D")
        plot.plot_widget.grab()
