"""Training and evaluation progress on a terminal: a bar that redraws in place, one line per
epoch (with the quality scores when the run evaluates)."""

from __future__ import annotations

import sys

from workbench.cli.common import score_columns, scores_header
from workbench.core import words


class ProgressReporter:
    """Turns trainer events into a progress bar (on a terminal) and one line per epoch."""

    def __init__(self, stream=None):
        self.out = sys.stdout
        self.err = stream or sys.stderr
        self.tty = self.err.isatty()
        self.bar_shown = False
        self.evaluating = False  # set by the caller when the run scores every epoch

    def note(self, text: str) -> None:
        self.clear_bar()
        if text:
            print(text, file=self.err, flush=True)

    def fraction(self, fraction: float, text: str) -> None:
        """A progress line for slow set-up (a classifier training, an evaluation)."""
        if self.tty:
            self.err.write(f"\r{fraction:6.1%} {text}\033[K")
            self.err.flush()
            self.bar_shown = True

    def clear_bar(self) -> None:
        if self.bar_shown:
            self.err.write("\r\033[K")
            self.bar_shown = False

    def __call__(self, event) -> None:
        kind = type(event).__name__
        if kind == "Started":
            print(f"Training on {event.device}: epoch {event.epochs_done + 1} to {event.epochs_total}, "
                  f"{words.count(event.batches_per_epoch, 'batch', 'batches')} per epoch", flush=True)
            print(f"{'epoch':>9}  {'D loss':>8}  {'G loss':>8}  {'D(x)':>6}  {'D(G(z))':>7}  {'img/s':>8}"
                  + (f"  {'quality':>8}  {scores_header()}" if self.evaluating else ""), flush=True)
        elif kind == "BatchProgress" and self.tty:
            width = 30
            filled = int(width * event.batch / max(event.batches, 1))
            self.err.write(f"\repoch {event.epoch} [{'#' * filled}{'.' * (width - filled)}] "
                           f"{event.batch}/{event.batches}  D {event.d_loss:.3f}  G {event.g_loss:.3f}  "
                           f"{event.images_per_sec:,.0f} img/s\033[K")
            self.err.flush()
            self.bar_shown = True
        elif kind == "Preparing":
            self.fraction(event.fraction, event.message)
        elif kind == "Notice":
            self.note(event.message)
        elif kind == "EpochEnded":
            self.clear_bar()
            scores = event.scores
            quality = (f"  {scores['quality']:8.3f}  {score_columns(scores)}" if "quality" in scores else "")
            print(f"{event.epoch:>4}/{event.epochs_total:<4}  {event.d_loss:8.4f}  {event.g_loss:8.4f}  "
                  f"{event.d_real:6.3f}  {event.d_fake:7.3f}  {event.images_per_sec:8,.0f}{quality}", flush=True)
        elif kind == "SweepRunStarted":
            self.clear_bar()
            print(f"\n=== Sweep {event.sweep_id}: run {event.position} of {event.remaining} "
                  f"(grid point {event.index + 1} of {event.total}): {event.label}  [{event.run_id}]", flush=True)
        elif kind == "TrialStarted":
            self.clear_bar()
            retry = f", retrying trial {event.retry_of}" if event.retry_of is not None else ""
            print(f"\n=== Study {event.study}: trial {event.number} ({event.done} of {event.total} done{retry}): "
                  f"{event.label}  [{event.run_id}]", flush=True)
        elif kind == "SweepEnded":
            self.clear_bar()
            print(f"Sweep {event.status}: {event.message}", flush=True)
        elif kind == "Finished":
            self.clear_bar()
            print(f"Finished: {words.count(event.epochs_done, 'epoch')}. Run {event.run_id}.", flush=True)
        elif kind == "Stopped":
            self.clear_bar()
            print(f"Stopped: {event.message} Resume with `gan-workbench resume {event.run_id}`.", flush=True)
        elif kind == "Failed":
            self.clear_bar()
            print(f"Failed: {event.message}", file=self.err, flush=True)
