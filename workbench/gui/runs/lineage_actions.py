"""The Runs tab's lineage actions: "Fork from epoch…" (the grid's current epoch) and "Compare
with parent". A mixin for `RunBrowser` beside `RunActions`, relying on the same attributes
(`store`, `model`, `details`, `resume_callback`, `_one()`, `open_compare()`, `show_error()`,
`refresh()`, `select_runs()`). The fork dialog (which loads torch) is imported when used.
"""

from __future__ import annotations

from PySide6.QtGui import QAction

from workbench.core.store.runs import Run, RunSummary
from workbench.core.store.status import RunStatus


class LineageActions:
    def _make_lineage_actions(self) -> None:
        self.fork_action = QAction("Fork from epoch…", self)
        self.fork_action.setObjectName("forkAction")
        self.fork_action.setToolTip("A new run from the epoch the grid shows (its checkpoint), with changed "
                                    "learning rates, label smoothing, epochs…, trained from there")
        self.fork_action.triggered.connect(lambda _checked=False: self.fork_selected())
        self.compare_parent_action = QAction("Compare with parent", self)
        self.compare_parent_action.setObjectName("compareParentAction")
        self.compare_parent_action.setToolTip("The fork beside the run it was forked from, with a line at the fork")
        self.compare_parent_action.triggered.connect(lambda _checked=False: self.compare_with_parent())
        for action in (self.fork_action, self.compare_parent_action):
            self.addAction(action)

    def _update_lineage_actions(self, one: RunSummary | None) -> None:
        self.fork_action.setEnabled(one is not None and one.status is not RunStatus.DAMAGED and one.epochs_done > 0)
        self.compare_parent_action.setEnabled(one is not None and self.model.summary_of(one.parent or "") is not None)

    def fork_epoch(self, summary: RunSummary) -> int | str:
        """The epoch the details' grid shows for this run, else its latest."""
        showing = self.details.run is not None and self.details.run.id == summary.id
        return (self.details.grid_view.current_epoch() if showing else None) or "latest"

    def fork_selected(self) -> Run | None:
        """Ask for the fork's changes at the grid's epoch, make it, then train it as a resumed run."""
        s = self._one()
        if s is None:
            return None
        return self._train_fork(self.ask_fork(s.id, self.fork_epoch(s)))

    def try_change(self, run_id: str, epoch: int, changes: dict) -> Run | None:
        """The doctor's "Try this": the fork dialog on run `run_id` at `epoch` (when that epoch's
        checkpoint is kept, else the run's latest) with the suggested `changes` filled in; the
        fork then trains as "Fork from epoch…" does."""
        try:
            run = self.store.get(run_id)
        except Exception as e:  # deleted meanwhile: say so
            self.show_error("Cannot fork", str(e))
            return None
        at = epoch if epoch in run.kept_checkpoint_epochs() else "latest"
        return self._train_fork(self.ask_fork(run_id, at, changes))

    def _train_fork(self, fork: Run | None) -> Run | None:
        """Show a new fork in the table and train it like a resumed run (the training view says
        so and keeps it for later when another run is training)."""
        if fork is None:
            return None
        self.refresh()
        self.select_runs([fork.id])
        if self.resume_callback is None:
            self.show_error("Cannot train the fork", "The training window is not available; the fork is kept "
                                                     "and can be resumed later.")
        else:
            self.resume_callback(fork, None)
        return fork

    def compare_with_parent(self):
        """The parent and the fork in one comparison, both on the epoch axis (the fork's first
        epochs are the parent's), with a marker at the fork's epoch."""
        s = self._one()
        parent = self.model.summary_of(s.parent or "") if s else None
        if parent is None:
            self.show_error("Compare with parent", "This run has no parent in the runs folder.")
            return None
        view = self.open_compare([Run(parent.path), Run(s.path)])
        if view is not None and hasattr(view, "mark_epoch"):
            view.mark_epoch(s.parent_epoch, f"fork at epoch {s.parent_epoch}")
        return view

    # ---- questions to the user (replace in tests) ----------------------------------------------
    def ask_fork(self, run_id: str, epoch: int | str, changes: dict | None = None) -> Run | None:
        from workbench.gui.runs.fork_dialog import ForkDialog  # torch loads here

        return ForkDialog.ask(self, run_id, epoch, changes, store=self.store)
