"""What can be done with the selected runs: the actions (with shortcuts, enabled by what is
selected), the context menu, what each action does, and the questions it asks.

A mixin for `RunBrowser`, kept apart so what resume, generate, evaluate, export or delete do
reads without the layout. The browser provides `store`, `model`, `details`, `table`,
`filter_edit`, `palette_`, `evaluation` (the progress bar), `evaluate_samples`, the
`*_callback`s, the open `_compare_windows` and `_generate_windows`, `selected_summaries()`,
`selected_runs()` and `refresh()`.
Every question to the user is a method (`ask_*`, `confirm_*`, `choose_*`, `show_*`) so tests
and embedders can replace it. Torch is imported only by the actions that need it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, QSize, Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QInputDialog,
    QLineEdit,
    QMenu,
    QMessageBox,
)

from workbench.core import words
from workbench.core.atomic import describe_write_error
from workbench.core.store.lineage import delete_run
from workbench.core.store.runs import Run, RunLocked, RunSummary
from workbench.core.store.status import RunStatus
from workbench.gui.runs.dialogs import ResumeDialog
from workbench.gui.runs.evaluation import EvaluationStatus
from workbench.gui.screen_fit import open_fitted

MAX_COMPARE = 8


class RunActions:
    """The actions half of `RunBrowser` (see the module docstring for what it relies on)."""

    # ---- actions -----------------------------------------------------------------------------
    def _make_actions(self) -> None:
        def action(text, slot, shortcut=None, tip=""):
            a = QAction(text, self)
            a.triggered.connect(lambda _checked=False: slot())
            if shortcut:
                a.setShortcut(QKeySequence(shortcut))
                a.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            a.setToolTip(f"{tip} ({QKeySequence(shortcut).toString()})" if shortcut and tip else tip)
            self.addAction(a)
            return a

        self.open_action = action("Open", self.open_selected, "Return", "Show the run's details")
        self.resume_action = action("Resume…", self.resume_selected, "Ctrl+R",
                                    "Continue training from the latest checkpoint, optionally longer")
        self.new_run_action = action("New run from config", self.new_run_from_selected, "Ctrl+Shift+N",
                                     "Fill the training form with this run's config")
        self.rename_action = action("Rename…", self.rename_selected, "F2", "Give the run a new name")
        self.notes_action = action("Edit notes", self.edit_notes_selected, "Ctrl+E", "Edit the run's notes")
        self.generate_action = action("Generate…", self.generate_selected, "Ctrl+G",
                                      "Explore the run's generator at any kept epoch: samples, "
                                      "interpolations between seeds, walks along a latent dimension")
        self.evaluate_action = action("Evaluate", self.evaluate_selected, "Ctrl+Shift+Q",
                                      "Score every epoch with a checkpoint (Fréchet score, precision and "
                                      "recall, density and coverage, class balance) and report how well "
                                      "the discriminator tells real from generated")
        self.export_action = action("Export…", self.export_selected, "Ctrl+Shift+E",
                                    "Write config, metrics CSV, grids and generator weights to a folder")
        self.export_gif_action = action("Export animation…", self.export_gif_selected, None,
                                        "Write the run's per-epoch sample grids as an animated GIF")
        self.export_gif_action.setObjectName("exportGifAction")
        self.delete_action = action("Delete…", self.delete_selected, QKeySequence.StandardKey.Delete,
                                    "Delete the run folders")
        self.reveal_action = action("Reveal in file manager", self.reveal_selected, "Ctrl+Shift+R",
                                    "Open the run's folder")
        self.compare_action = action("Compare", self.compare_selected, "Ctrl+Shift+C",
                                     f"Compare 2 to {MAX_COMPARE} selected runs side by side")
        self.refresh_action = action("Refresh", self.refresh, "F5", "Re-read the runs folder")
        focus_filter = QAction(self)
        focus_filter.setShortcut(QKeySequence.StandardKey.Find)
        focus_filter.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        focus_filter.triggered.connect(lambda: self.filter_edit.setFocus())
        self.addAction(focus_filter)

    def build_context_menu(self) -> QMenu:
        menu = QMenu(self)
        for a in (self.open_action, self.resume_action, self.fork_action, self.new_run_action, None,
                  self.rename_action, self.notes_action, None, self.generate_action, self.evaluate_action,
                  self.export_action, self.export_gif_action, self.compare_action, self.compare_parent_action,
                  self.reveal_action, None, self.delete_action):
            menu.addSeparator() if a is None else menu.addAction(a)
        return menu

    def _on_context_menu(self, pos: QPoint) -> None:
        self.build_context_menu().exec(self.table.viewport().mapToGlobal(pos))

    def _update_actions(self) -> None:
        selected = self.selected_summaries()
        one = selected[0] if len(selected) == 1 else None
        healthy = one is not None and one.status is not RunStatus.DAMAGED
        for a in (self.open_action, self.rename_action, self.notes_action, self.reveal_action,
                  self.export_action):
            a.setEnabled(one is not None)
        self.resume_action.setEnabled(healthy and one.status is not RunStatus.RUNNING)
        self.new_run_action.setEnabled(healthy)
        self.generate_action.setEnabled(healthy and one.epochs_done > 0)
        self.export_gif_action.setEnabled(one is not None and one.epochs_done > 0)
        self.evaluate_action.setEnabled(healthy and one.status is not RunStatus.RUNNING and one.epochs_done > 0
                                        and not self.evaluation.is_running()
                                        and Run(one.path).latest_checkpoint.exists())
        self.delete_action.setEnabled(bool(selected))
        self.compare_action.setEnabled(2 <= len(selected) <= MAX_COMPARE)
        self._update_lineage_actions(one)

    # ---- what the actions do -------------------------------------------------------------------
    def _one(self) -> RunSummary | None:
        selected = self.selected_summaries()
        return selected[0] if len(selected) == 1 else None

    def open_selected(self) -> None:
        s = self._one()
        if s is not None:
            self.details.show_run(Run(s.path), s)
            self.details.setFocus()

    def resume_selected(self) -> bool:
        """Ask how many extra epochs, then hand the run to the training window."""
        s = self._one()
        if s is None:
            return False
        run = Run(s.path)
        if s.status is RunStatus.DAMAGED:
            self.show_error("Cannot resume", f"{s.name} is damaged: {s.problem}.")
            return False
        if run.is_locked():
            self.show_error("Cannot resume", f"{s.name} is being trained right now.")
            return False
        if not run.latest_checkpoint.exists() and s.epochs_done:
            self.show_error("Cannot resume", f"{s.name} has no checkpoint to continue from.")
            return False
        extra = self.ask_resume_epochs(s)
        if extra is None:
            return False
        if self.resume_callback is None:
            self.show_error("Cannot resume", "The training window is not available.")
            return False
        self.resume_callback(run, extra or None)
        return True

    def new_run_from_selected(self) -> bool:
        s = self._one()
        if s is None:
            return False
        from workbench.core.config import ConfigError

        try:
            config = Run(s.path).config()
        except ConfigError as e:
            self.show_error("Cannot read config", f"The config of {s.name} cannot be used:\n{e}")
            return False
        if self.new_run_callback is None:
            self.show_error("Cannot start a run", "The training window is not available.")
            return False
        self.new_run_callback(config, s.preset)
        return True

    def rename_selected(self) -> bool:
        s = self._one()
        if s is None:
            return False
        name = self.ask_new_name(s)
        if name is None or not name.strip() or name.strip() == s.name:
            return False
        Run(s.path).update_info(name=name.strip())
        self.model.forget(s.id)
        self.refresh()
        return True

    def edit_notes_selected(self) -> None:
        s = self._one()
        if s is None:
            return
        if self.details.run is None or self.details.run.id != s.id:
            self.details.show_run(Run(s.path), s)
        self.details.tabs.setCurrentIndex(1)
        self.details.notes_edit.setFocus()

    def generate_selected(self):
        """Open the Generate window on the selected run (raise it if it is open); returns it."""
        s = self._one()
        if s is None:
            return None
        for window in self._generate_windows:
            if window.run.id == s.id:
                window.raise_()
                window.activateWindow()
                return window
        from workbench.core.config import ConfigError
        from workbench.core.store.checkpoints import CheckpointError

        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            from workbench.gui.generate.window import GenerateWindow  # torch loads here

            window = GenerateWindow(Run(s.path), s.name)
        except (CheckpointError, ConfigError, OSError) as e:
            self.show_error("Cannot generate", f"{s.name}: {e}")
            return None
        finally:
            QGuiApplication.restoreOverrideCursor()
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window.destroyed.connect(lambda *_: self._generate_windows.remove(window)
                                 if window in self._generate_windows else None)
        self._generate_windows.append(window)
        window.show()
        return window

    def evaluate_selected(self) -> bool:
        """Start scoring the selected run in the background; `_on_evaluated` finishes up."""
        s = self._one()
        if s is None:
            return False
        run, problem = Run(s.path), None
        if s.status is RunStatus.DAMAGED:
            problem = f"{s.name} is damaged: {s.problem}."
        elif self.evaluation.is_running():
            problem = "Another evaluation is still running; wait for it or cancel it."
        elif run.is_locked():
            problem = f"{s.name} is being trained right now; evaluate it when it stops."
        elif not run.latest_checkpoint.exists():
            problem = f"{s.name} has no checkpoint yet: train at least one epoch first."
        if problem:
            self.show_error("Cannot evaluate", problem)
            return False
        started = self.evaluation.start(run, s.name, self.evaluate_samples)
        self._update_actions()
        return started

    def _on_evaluated(self, outcome: dict) -> None:
        run_id = outcome.get("run_id")
        if run_id:
            self.model.forget(run_id)
        self.refresh()
        if self.details.run is not None and self.details.run.id == run_id:
            self.details.update_run(self.model.summary_of(run_id))  # the report is not in the listing
        self._update_actions()
        summary = self.model.summary_of(run_id) if run_id else None
        name = summary.name if summary else run_id
        if outcome["status"] is EvaluationStatus.CANCELLED:
            kept = len(outcome.get("scores") or [])
            kept_text = f"; the scores of the {words.count(kept, 'epoch')} already evaluated are kept."
            self.show_message("Evaluation cancelled", f"Evaluating {name} was cancelled" + (kept_text if kept else "."))
        elif outcome["status"] is not EvaluationStatus.DONE:
            self.show_error("Cannot evaluate", f"{name}: {outcome.get('message') or 'the evaluation failed.'}")

    def export_selected(self) -> list[Path]:
        s = self._one()
        if s is None:
            return []
        folder = self.choose_export_dir(s)
        if not folder:
            return []
        from workbench.core.outputs.export import export_run

        out = Path(folder) / s.id
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            written = export_run(Run(s.path), out)
        except OSError as e:
            self.show_error("Export failed", describe_write_error(e))
            return []
        finally:
            QGuiApplication.restoreOverrideCursor()
        notes = getattr(written, "notes", [])
        text = f"Wrote {words.count(len(written), 'file')} to {out}." + ("\n\n" + "\n".join(notes) if notes else "")
        self.show_message("Exported", text)
        return written

    def export_gif_selected(self) -> Path | None:
        """Ask where, then write the selected run's training as an animated GIF."""
        s = self._one()
        if s is None:
            return None
        path = self.ask_gif_path(s)
        if not path:
            return None
        from workbench.core.outputs.animation import write_gif

        try:
            frames = write_gif([Run(s.path)], path, [s.name])
        except OSError as e:
            self.show_error("Export failed", describe_write_error(e))
            return None
        except ValueError as e:
            self.show_error("Export failed", f"{s.name}: {e}.")
            return None
        self.show_message("Animation exported", f"Wrote {words.count(frames, 'frame')} (one per epoch) to {path}.")
        return Path(path)

    def delete_selected(self) -> list[str]:
        """Ask, then delete; a run being trained is refused with the reason. Returns the ids deleted."""
        selected = self.selected_summaries()
        if not selected or not self.confirm_delete(selected):
            return []
        deleted, refused = [], []
        for s in selected:
            run = Run(s.path)
            try:
                if run.is_locked():
                    raise RunLocked(f"{s.name} is being trained; stop it before deleting.")
                delete_run(self.store, run)  # its forks keep a copy of what they inherit
                deleted.append(s.id)
            except RunLocked as e:
                refused.append(str(e))
            except OSError as e:
                refused.append(f"{s.name}: {e}")
        self.refresh()
        if refused:
            self.show_error("Not deleted", "\n".join(refused))
        return deleted

    def reveal_selected(self) -> None:
        s = self._one()
        if s is not None:
            self.open_url(QUrl.fromLocalFile(str(s.path)))

    def compare_selected(self):
        runs = self.selected_runs()
        if not 2 <= len(runs) <= MAX_COMPARE:
            self.show_error("Compare", f"Select 2 to {MAX_COMPARE} runs to compare.")
            return None
        return self.open_compare(runs)

    def open_compare(self, runs: list[Run]):
        """A comparison of `runs`: a tab through `compare_callback`, else a window of its own."""
        if self.compare_callback is not None:
            return self.compare_callback(runs)
        from workbench.gui.compare.view import CompareView

        view = CompareView(runs, palette=self.palette_)
        view.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        view.setWindowTitle(f"Compare {len(runs)} runs")
        open_fitted(view, QSize(1400, 900))
        view.destroyed.connect(lambda *_: self._compare_windows.remove(view) if view in self._compare_windows else None)
        self._compare_windows.append(view)
        view.show()
        return view

    # ---- questions to the user (replace in tests) ----------------------------------------------
    def ask_resume_epochs(self, summary: RunSummary) -> int | None:
        """Extra epochs beyond the planned total (0: just finish), or None to cancel."""
        dialog = ResumeDialog(summary, self)
        return dialog.extra.value() if dialog.exec() == QDialog.DialogCode.Accepted else None

    def ask_new_name(self, summary: RunSummary) -> str | None:
        name, ok = QInputDialog.getText(self, "Rename run", "Name:", QLineEdit.EchoMode.Normal, summary.name)
        return name if ok else None

    def ask_gif_path(self, summary: RunSummary) -> str | None:
        start = str(Path(self._last_export_dir or "") / f"{summary.id}.gif")
        path, _ = QFileDialog.getSaveFileName(self, f"Export the training of {summary.name} as a GIF", start,
                                              "GIF animation (*.gif)")
        if path and not path.lower().endswith(".gif"):
            path += ".gif"
        if path:
            self._last_export_dir = str(Path(path).parent)
        return path or None

    def choose_export_dir(self, summary: RunSummary) -> str | None:
        folder = QFileDialog.getExistingDirectory(self, f"Export {summary.name} into folder",
                                                  self._last_export_dir)
        if folder:
            self._last_export_dir = folder
        return folder or None

    def confirm_delete(self, summaries: list[RunSummary]) -> bool:
        names = "\n".join(f"• {s.name} ({words.count(s.epochs_done, 'epoch')})" for s in summaries[:10])
        if len(summaries) > 10:
            names += f"\n… and {len(summaries) - 10} more"
        ids = {s.id for s in summaries}
        forks = [f for f in self.model.summaries() if f.parent in ids and f.id not in ids]
        if forks:
            names += (f"\n\nForks of {'it' if len(summaries) == 1 else 'them'}: {len(forks)}; each keeps a copy "
                      f"of the epochs it inherits and stays readable.")
        answer = QMessageBox.question(
            self, "Delete runs", f"Delete {words.count(len(summaries), 'run')} and all "
                                 f"{'its' if len(summaries) == 1 else 'their'} files?\n\n{names}",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def show_message(self, title: str, text: str) -> None:
        QMessageBox.information(self, title, text)

    def show_error(self, title: str, text: str) -> None:
        QMessageBox.warning(self, title, text)

    def open_url(self, url: QUrl) -> bool:
        return QDesktopServices.openUrl(url)
