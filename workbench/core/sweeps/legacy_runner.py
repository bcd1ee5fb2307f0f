"""The legacy runner: resuming a grid sweep stored before every sweep became an Optuna study
(`legacy_store`). New grids train through `study_worker`; this only continues the old ones, as
they were trained: their runs one after another with the ordinary Trainer, skipping what is done.

Stop stops the run in progress the normal way (it resumes exactly) and ends the sweep; running
the sweep again continues with that run, then the ones after it. A run that diverges (NaN) is
recorded and the sweep goes on; any other failure (no data, a full disk) would hit the next
runs too, so it ends the sweep with the run's message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from workbench.core import words
from workbench.core.atomic import describe_write_error
from workbench.core.events import Failed, FailureReason, Stopped, TrainingControl, TrainingEvent
from workbench.core.store.runs import RunStore
from workbench.core.sweeps.legacy_store import Sweep, SweepBusy, run_is_done
from workbench.core.sweeps.status import SweepEnded, SweepStatus


@dataclass
class SweepRunStarted:
    """The sweep moves on to its next run (events of that run's Trainer follow)."""

    sweep_id: str
    index: int  # place in the grid, 0-based
    position: int  # 1-based among the runs this call trains
    remaining: int  # runs this call trains
    total: int  # runs in the grid
    run_id: str
    label: str


#: what `SweepRunner.run` sends to `on_event`: its own events and those of each run's Trainer
SweepEvent = SweepRunStarted | SweepEnded | TrainingEvent


class SweepRunner:
    def __init__(self, sweep: Sweep, store: RunStore | None = None):
        self.sweep = sweep
        self.store = store or RunStore()

    def run(self, on_event: Callable[[SweepEvent], None] | None = None,
            control: TrainingControl | None = None) -> SweepEnded:
        emit = on_event or (lambda event: None)
        control = control or TrainingControl()
        try:
            with self.sweep.lock():
                ended = self._run_locked(emit, control)
        except SweepBusy as e:
            ended = SweepEnded(self.sweep.id, SweepStatus.FAILED, str(e), 0)
        except OSError as e:  # sweep.json or a new run folder could not be written
            ended = SweepEnded(self.sweep.id, SweepStatus.FAILED,
                               describe_write_error(e, getattr(e, "filename", None)) +
                               " The sweep is kept: resume it when the problem is fixed.", 0)
        emit(ended)
        return ended

    def _run_locked(self, emit, control) -> SweepEnded:
        from workbench.core.training.trainer import Trainer

        sweep = self.sweep
        runs = sweep.ensure_runs(self.store)
        points = sweep.points()
        todo = [(point, run) for point, run in zip(points, runs) if not run_is_done(run)]
        sweep.write(status=SweepStatus.RUNNING)
        trained, diverged = 0, []
        for position, (point, run) in enumerate(todo, 1):
            if control.stopped:
                break
            emit(SweepRunStarted(sweep.id, point.index, position, len(todo), len(points), run.id, point.label))
            final = Trainer(run.config(), run).fit(emit, control)
            trained += 1
            if isinstance(final, Stopped) or control.stopped:
                break
            if isinstance(final, Failed):
                if final.reason is not FailureReason.DIVERGED:
                    sweep.write(status=SweepStatus.FAILED)
                    return SweepEnded(sweep.id, SweepStatus.FAILED,
                                      f"Run {run.id} ({point.label}) failed: {final.message} "
                                      "The sweep stopped there; resume it when the problem is fixed.", trained)
                diverged.append(point.label)
        done, total = sweep.progress(self.store)
        if done < total:
            sweep.write(status=SweepStatus.STOPPED)
            return SweepEnded(sweep.id, SweepStatus.STOPPED, f"Stopped with {done} of {words.count(total, 'run')} "
                              f"done; `gan-workbench resume {sweep.id}` continues.", trained)
        sweep.write(status=SweepStatus.FINISHED)
        note = f" Diverged (NaN): {'; '.join(diverged)}." if diverged else ""
        return SweepEnded(sweep.id, SweepStatus.FINISHED, f"{words.count(total, 'run')} done.{note}", trained)
