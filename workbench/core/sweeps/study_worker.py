"""Training a study's queued trials, each as an ordinary run, until none is left.

Each trial trains one run (run.json carries `study` and `trial`) with the ordinary Trainer and
reports every epoch's Fréchet score to Optuna. The pruner, or a class balance that collapses two
epochs in a row, stops the run as a Stop does (checkpoint kept) with status "pruned". The
trial's value is the run's best-epoch score (lower is better); a run whose best epoch collapsed
(class balance below the threshold) or diverged fails the trial, its reason kept.

Stop (Ctrl-C, the GUI's button) stops the run in progress, fails its trial and queues it again
with the same values and run: the next worker, here or elsewhere, resumes the run where it
stopped. A killed worker's trial is failed by the heartbeat check and queued the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from workbench.core import words
from workbench.core.evaluation.class_balance import CollapseThresholds, collapse_reason
from workbench.core.events import EpochEnded, Failed, FailureReason, Stopped, TrainingControl
from workbench.core.file_locks import acquire_lock, release_lock
from workbench.core.presets import matching_preset
from workbench.core.store.best_epoch import read_best
from workbench.core.store.runs import Run, RunStore, now_iso
from workbench.core.store.status import RunStatus
from workbench.core.sweeps.grid import label as label_of
from workbench.core.sweeps.status import SweepEnded, SweepStatus
from workbench.core.sweeps.study_store import PLANNED, StudyPlan, claim_lock_path

COLLAPSE_EPOCHS = 2  # a class balance collapsed this many epochs in a row prunes the trial


@dataclass
class TrialStarted:
    """A worker starts a trial (events of its run's Trainer follow)."""

    study: str
    number: int  # Optuna's trial number
    done: int  # trials of the study done for good before it
    total: int  # trials planned
    run_id: str
    label: str
    retry_of: int | None = None


class TrialFailed(Exception):
    """The trial's run ended without a usable score; its reason is kept on the trial."""


class _Interrupted(Exception):
    """The run in progress stopped for a reason that is not the trial's: queue it again."""

    def __init__(self, status: SweepStatus, message: str):
        super().__init__(message)
        self.status, self.message = status, message


class TrialControl(TrainingControl):
    """The worker's control (Stop, pause) plus the trial's own stop, used to prune."""

    def __init__(self, parent: TrainingControl):
        super().__init__()
        self.parent = parent

    @property
    def stopped(self) -> bool:
        return self._stop.is_set() or self.parent.stopped

    @property
    def paused(self) -> bool:
        return self.parent.paused

    def wait_while_paused(self) -> None:
        self.parent.wait_while_paused()


class EpochJudge:
    """Reports each epoch's score to the trial and decides whether to prune it."""

    def __init__(self, trial, control: TrialControl, thresholds: CollapseThresholds, dataset: str):
        self.trial, self.control, self.thresholds, self.dataset = trial, control, thresholds, dataset
        self.collapsed = 0
        self.pruned: str | None = None

    def __call__(self, event) -> None:
        if not isinstance(event, EpochEnded) or self.pruned:
            return
        quality = event.scores.get("quality")
        reason = collapse_reason(event.scores.get("class_hist"), self.thresholds, self.dataset)
        self.collapsed = self.collapsed + 1 if reason else 0
        if isinstance(quality, (int, float)):
            self.trial.report(float(quality), event.epoch)
        if self.collapsed >= COLLAPSE_EPOCHS:
            self.pruned = f"class balance collapsed {self.collapsed} epochs in a row (epoch {event.epoch}: {reason})"
        elif isinstance(quality, (int, float)) and self.trial.should_prune():
            self.pruned = f"the pruner stopped it at epoch {event.epoch} (score {quality:.3f})"
        if self.pruned:
            self.control.stop()


class StudyWorker:
    """Trains queued trials of one study into `store` until none is queued (and, with
    `wait_for_others`, until no other worker's trial is still running)."""

    def __init__(self, study, plan: StudyPlan, store: RunStore | None = None, wait_for_others: bool = True,
                 thresholds: CollapseThresholds | None = None):
        self.study, self.plan = study, plan
        self.store = store or RunStore()
        self.wait_for_others = wait_for_others
        self.thresholds = thresholds or CollapseThresholds.from_settings()
        self._emit: Callable = lambda event: None
        self._control = TrainingControl()
        self._trained = 0
        self._current = None
        self._claim = None  # the claim lock's descriptor while claiming a trial

    def run(self, on_event: Callable | None = None, control: TrainingControl | None = None) -> SweepEnded:
        import optuna
        from optuna.storages import fail_stale_trials

        self._emit = on_event or (lambda event: None)
        self._control = control or TrainingControl()
        ended = None
        while not self._control.stopped and ended is None:
            fail_stale_trials(self.study)
            states = [t.state for t in self.study.get_trials(deepcopy=False)]
            if optuna.trial.TrialState.WAITING in states:
                ended = self._one_trial()
            elif optuna.trial.TrialState.RUNNING in states and self.wait_for_others:
                self._sleep(self.study._storage.get_heartbeat_interval() or 1)
            else:
                break
        if ended is None:
            ended = self._ended()
        self._emit(ended)
        return ended

    def _one_trial(self) -> SweepEnded | None:
        """Claims a queued trial (under the claim lock of an SQLite storage, released as soon as
        the trial is ours) and trains it."""
        path = claim_lock_path(self.study._storage)
        while path is not None and self._claim is None:
            self._claim = acquire_lock(path)
            if self._claim is None:
                if self._control.stopped:
                    return None
                time.sleep(0.05)
        try:
            self.study.optimize(self._objective, n_trials=1, catch=(TrialFailed,))
        except _Interrupted as e:
            requeue(self.study, self._current)
            return SweepEnded(self.plan.name, e.status, e.message, self._trained)
        finally:
            self._release_claim()
        return None

    def _release_claim(self) -> None:
        if self._claim is not None:
            release_lock(self._claim)
            self._claim = None

    def _sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end and not self._control.stopped:
            time.sleep(0.1)

    def _ended(self) -> SweepEnded:
        from workbench.core.sweeps.study_table import study_progress

        done, total = study_progress(self.study, self.plan)
        if done >= total:
            return SweepEnded(self.plan.name, SweepStatus.FINISHED, f"{words.count(total, 'trial')} done.",
                              self._trained)
        return SweepEnded(self.plan.name, SweepStatus.STOPPED,
                          f"Stopped with {done} of {words.count(total, 'trial')} done; "
                          f"`gan-workbench resume {self.plan.name}` continues.", self._trained)

    # ---- one trial -----------------------------------------------------------------------
    def _objective(self, trial) -> float:
        from workbench.core.config import ConfigError, TrainConfig
        from workbench.core.training.trainer import Trainer

        self._current = trial
        self._release_claim()  # the trial is running, so ours: the next worker may claim another
        if not trial.user_attrs.get(PLANNED):  # another worker took the last queued trial first
            trial.set_user_attr("reason", "not planned: no queued trial was left")
            raise TrialFailed("not planned")
        changes = {}
        for dimension in self.plan.space:
            changes.update(dimension.suggest(trial))
        label = label_of(changes)
        trial.set_user_attr("label", label)
        try:
            config = TrainConfig.from_changes(self.plan.base.to_dict(), changes)
        except ConfigError as e:
            return self._fail(trial, f"the config rejects these values: {e}")
        run = self._run_for(trial, config, label)
        from workbench.core.sweeps.study_table import study_progress

        retry_of = _frozen(self.study, trial).system_attrs.get("failed_trial")
        self._emit(TrialStarted(self.plan.name, trial.number, study_progress(self.study, self.plan)[0],
                                self.plan.trials, run.id, label, retry_of))
        control = TrialControl(self._control)
        judge = EpochJudge(trial, control, self.thresholds, config.dataset)

        def emit(event):
            judge(event)
            self._emit(event)

        final = Trainer(config, run).fit(emit, control)
        self._trained += 1
        if judge.pruned and isinstance(final, Stopped):
            import optuna

            run.update_info(status=RunStatus.PRUNED, message=f"Pruned: {judge.pruned}.", finished=now_iso())
            trial.set_user_attr("reason", judge.pruned)
            raise optuna.TrialPruned(judge.pruned)
        if isinstance(final, Stopped):
            raise _Interrupted(SweepStatus.STOPPED, f"Stopped: {final.message} `gan-workbench resume "
                               f"{self.plan.name}` resumes trial {trial.number}'s run.")
        if isinstance(final, Failed):
            if final.reason is FailureReason.DIVERGED:
                return self._fail(trial, f"diverged: {final.message}")
            raise _Interrupted(SweepStatus.FAILED, f"Run {run.id} (trial {trial.number}) failed: {final.message} "
                               "The study stopped here; resume it when the problem is fixed.")
        return self._value(trial, run, config.dataset)

    def _fail(self, trial, reason: str):
        trial.set_user_attr("reason", reason)
        raise TrialFailed(reason)

    def _run_for(self, trial, config, label: str) -> Run:
        """The trial's run: the one it started before it was stopped or its worker died (when
        it is in this home), else a new one."""
        run_id = trial.user_attrs.get("run_id")
        if run_id and (self.store.root / run_id / "run.json").is_file():
            run = Run(self.store.root / run_id)
            run.update_info(trial=trial.number)
            return run
        name = f"{self.plan.name} · #{trial.number} {label}"
        notes = f"Study {self.plan.name}, trial {trial.number}: {label}"
        tags = {"study": self.plan.name, "trial": trial.number}
        if self.plan.start:
            run = self._fork_for(trial, config, name, notes, tags)
        else:
            run = self.store.create(config, name=name, notes=notes, preset=matching_preset(config), tags=tags)
        trial.set_user_attr("run_id", run.id)
        return run

    def _fork_for(self, trial, config, name: str, notes: str, tags: dict) -> Run:
        """A study started `--from` a run's epoch: the trial's run forks from there, with the
        fields in which the trial's config differs from the parent's changed."""
        from workbench.core.store.forking import ForkError, fork_run, plan_fork

        start = self.plan.start
        parent = Run(self.store.root / start["run"])
        if not parent.info_file.is_file():
            return self._fail(trial, f"the study starts from run {start['run']}, which is not in this "
                                     f"worker's home ({self.store.root})")
        ours, theirs = config.to_dict(), parent.config().to_dict()
        try:
            plan = plan_fork(parent, start["epoch"], {k: v for k, v in ours.items() if theirs.get(k) != v})
            return fork_run(self.store, plan, name=name, notes=notes, tags=tags)
        except ForkError as e:
            return self._fail(trial, "cannot fork from run " f"{start['run']} at epoch {start['epoch']}: "
                              + "; ".join(e.problems))

    def _value(self, trial, run: Run, dataset: str) -> float:
        best = read_best(run.checkpoints_dir)
        if best is None:
            return self._fail(trial, "not scored: the run kept no best epoch (eval_samples is 0?)")
        entry = next((e for e in run.metrics().epochs if e.get("epoch") == best.epoch), {})
        reason = collapse_reason(entry.get("class_hist"), self.thresholds, dataset)
        trial.set_user_attr("best_epoch", best.epoch)
        if reason:
            return self._fail(trial, f"collapsed at its best epoch {best.epoch}: {reason}")
        return best.quality


def requeue(study, trial) -> None:
    """Queue a stopped trial again with its values, run and reports (as Optuna's retry callback
    does for a dead worker's), so the next worker resumes its run."""
    import optuna

    if trial is None:
        return
    frozen = _frozen(study, trial)
    if frozen.state is not optuna.trial.TrialState.FAIL:
        return
    system_attrs = {"failed_trial": frozen.number, "retry_history": [], **frozen.system_attrs}
    system_attrs["retry_history"] = [*system_attrs["retry_history"], frozen.number]
    study.add_trial(optuna.create_trial(state=optuna.trial.TrialState.WAITING, params=frozen.params,
                                        distributions=frozen.distributions, user_attrs=frozen.user_attrs,
                                        system_attrs=system_attrs, intermediate_values=frozen.intermediate_values))


def _frozen(study, trial):
    return next(t for t in study.get_trials(deepcopy=False) if t.number == trial.number)
