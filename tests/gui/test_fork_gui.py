"""Forking in the Runs tab: the fork dialog (changeable fields with the parent's values, a
prefilled config delta, every problem named and nothing written), "Fork from epoch…" on the
grid's epoch handing the fork to training like a resumed run, the lineage column, "Compare with
parent" with its marker, and deleting a parent that keeps the fork readable."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from helpers.browser_runs import populate
from helpers.fork_runs import folders
from workbench.core.store.forking import CHANGEABLE
from workbench.core.store.lineage import INHERITED, history
from workbench.core.store.runs import RunStore
from workbench.gui.runs import COLUMNS, RunBrowser
from workbench.gui.runs.fork_dialog import ForkDialog


@pytest.fixture
def runs(isolated_home):
    return populate(isolated_home)


def test_fork_dialog_lists_the_changeable_fields_takes_a_delta_and_refuses_by_name(runs, isolated_home, qtbot):
    beta = runs["beta"]  # 3 epochs, lr_g 0.001, only the latest checkpoint
    dialog = ForkDialog(beta, 3, {"lr_d": 0.0001, "real_label": 0.9, "latent_size": 64})
    qtbot.addWidget(dialog)
    assert list(dialog.editors) == list(CHANGEABLE)
    texts = [w.text() for w in dialog.findChildren(QLabel)]
    assert "0.001" in texts and "Generator LR" in texts  # the parent's value beside the field
    assert dialog.value("lr_d") == "0.0001" and dialog.value("real_label") == "0.9"
    assert dialog.labels["lr_d"].font().bold() and not dialog.labels["lr_g"].font().bold()
    assert dialog.epoch() == 3
    dialog.show()
    dialog.grab().save(str(isolated_home.parent / "fork-dialog.png"))
    before = folders(isolated_home)
    dialog.accept()  # latent_size is refused, and the epochs leave nothing to train
    assert dialog.fork is None and dialog.problems.isVisible()
    assert "latent_size: a fork cannot change it" in dialog.problems.text()
    assert "epochs: 3 is not allowed" in dialog.problems.text()
    assert folders(isolated_home) == before

    dialog.other_changes.clear()
    dialog.set_value("epochs", 5)
    dialog.name_edit.setText("smoother D")
    dialog.accept()
    fork = dialog.fork
    assert fork is not None and dialog.result() == ForkDialog.DialogCode.Accepted
    info = fork.info()
    assert info["parent"] == {"run": beta.id, "epoch": 3} and info["name"] == "smoother D"
    assert fork.config().lr_d == 0.0001 and fork.config().real_label == 0.9 and fork.config().epochs == 5


def test_ask_says_why_a_run_cannot_be_forked(runs, qtbot, monkeypatch):
    said = []
    monkeypatch.setattr("workbench.gui.runs.fork_dialog.QMessageBox.warning", lambda *a: said.append(a[2]))
    empty = RunStore().create(runs["alpha"].config(), name="untrained")
    assert ForkDialog.ask(None, empty.id, 1) is None and "no epoch checkpoint" in said[-1]
    assert ForkDialog.ask(None, "no-such-run", 1) is None and "No run" in said[-1]


def accept_with(changes):
    def exec_(dialog):
        for field, value in changes.items():
            dialog.set_value(field, value)
        dialog.accept()
        return dialog.result()
    return exec_


def test_fork_from_the_grids_epoch_trains_it_shows_lineage_compares_with_parent_and_survives_deletion(
        runs, qtbot, monkeypatch):
    from workbench.core.training.trainer import Trainer

    trained = []

    def resume(run, extra_epochs):  # what the training window does with a resumed run (inline here)
        trained.append((run.id, extra_epochs))
        Trainer(run.config(), run).fit()

    browser = RunBrowser(RunStore(), resume=resume)
    qtbot.addWidget(browser)
    browser.resize(1300, 850)
    browser.show()
    said = []
    monkeypatch.setattr(browser, "show_error", lambda title, text: said.append(text))
    alpha = runs["alpha"]
    browser.select_runs([alpha.id])
    assert browser.fork_action.isEnabled() and not browser.compare_parent_action.isEnabled()
    assert browser.details.grid_view.current_epoch() == 2
    asked = []
    monkeypatch.setattr(ForkDialog, "exec", lambda d: asked.append(d.epoch()) or accept_with({"epochs": 3})(d))
    fork = browser.fork_selected()
    assert asked == [2] and trained == [(fork.id, None)] and not said
    assert fork.info()["parent"] == {"run": alpha.id, "epoch": 2}
    assert [e["epoch"] for e in fork.metrics().epochs] == [3]

    browser.refresh()
    browser.table.sortByColumn(COLUMNS.index("lineage"), Qt.SortOrder.AscendingOrder)
    proxy, name_col, lineage_col = browser.proxy, COLUMNS.index("name"), COLUMNS.index("lineage")
    rows = [(proxy.index(r, name_col).data(), proxy.index(r, lineage_col).data()) for r in range(proxy.rowCount())]
    parent_row = [n for n, _ in rows].index("alpha")
    assert rows[parent_row] == ("alpha", "1 fork")
    assert rows[parent_row + 1] == ("↳ alpha from epoch 2", "alpha @ 2")  # indented under its parent
    browser.grab().save(str(alpha.path.parent.parent.parent / "runs-lineage.png"))

    browser.select_runs([fork.id])
    assert browser.details.grid_view.epochs() == [1, 2, 3]  # the parent's grids, then its own
    assert browser.details.loss_plot.epoch_marker.value() == 2
    browser.details.grid_view.show_epoch(2)
    assert browser.details.grid_view.caption_label.text().startswith(f"Inherited from {alpha.id}")
    browser.details.grid_view.show_epoch(3)
    assert not browser.details.grid_view.caption_label.isVisibleTo(browser)
    assert browser.compare_parent_action.isEnabled()
    view = browser.compare_with_parent()
    qtbot.addWidget(view)
    assert view.run_ids() == [alpha.id, fork.id]
    assert view.loss_plot.epoch_marker.value() == 2 and view.quality_plot.epoch_marker.value() == 2
    x, y = view.loss_plot.series_data(f"{fork.id}/d")
    px, py = view.loss_plot.series_data(f"{alpha.id}/d")
    assert list(x) == [1, 2, 3] and list(px) == [1, 2] and list(y[:2]) == list(py)  # one epoch axis
    view.resize(1300, 850)
    view.grab().save(str(alpha.path.parent.parent.parent / "compare-parent.png"))
    view.close()

    questions = []
    monkeypatch.setattr("workbench.gui.runs.actions.QMessageBox.question",
                        lambda parent, title, text, *a: questions.append(text) or 16384)  # Yes
    browser.select_runs([alpha.id])
    assert browser.delete_selected() == [alpha.id]
    assert "Forks of it: 1; each keeps a copy of the epochs it inherits" in questions[0]
    assert not alpha.path.exists() and (fork.path / INHERITED).is_dir()
    assert [e["epoch"] for e in history(fork).epochs] == [1, 2, 3]
    browser.select_runs([fork.id])
    assert browser.details.grid_view.epochs() == [1, 2, 3]
    lineage = {proxy.index(r, name_col).data(): proxy.index(r, lineage_col).data() for r in range(proxy.rowCount())}
    assert lineage["↳ alpha from epoch 2"] == f"{alpha.id} (deleted) @ 2"
