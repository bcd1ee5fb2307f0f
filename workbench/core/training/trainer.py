"""The Trainer: the epoch loop, stop/pause, events, checkpoints and exact resume.

`Trainer(config, run).fit(on_event, control)` trains the run to `config.epochs`, continuing
from the run's latest checkpoint if it has one. Per-batch values stay on the device in one
buffer; the host reads them only at throttled progress points and at the end of an epoch.
`TrainingState` (networks, optimizers, position) and `train_step` (one update) are public for
what measures training without a run (the sweep's time estimate).
"""

from __future__ import annotations

import math
import platform
import sys
import time
from collections.abc import Callable

import torch

import workbench
from workbench.core.atomic import describe_write_error
from workbench.core.config import TrainConfig
from workbench.core.data import placement
from workbench.core.data.datasets import BatchSource, DatasetMissing
from workbench.core.data.training_data import PreparationCancelled, training_images, training_labels
from workbench.core.events import (
    BatchProgress,
    EpochEnded,
    Failed,
    FailureReason,
    FinalEvent,
    Finished,
    Started,
    Stopped,
    TrainingControl,
    TrainingEvent,
)
from workbench.core.geometry import grid_rows
from workbench.core.nets.averaging import GeneratorAverage
from workbench.core.nets.losses import Objective
from workbench.core.nets.models import build_discriminator, build_generator
from workbench.core.nets.sampling import (
    class_grid_inputs,
    cycled_labels,
    draw_noise,
    fixed_noise,
    grid_array,
    save_png,
    to_display,
)
from workbench.core.store.best_checkpoint import refresh_best
from workbench.core.store.best_epoch import offer_best
from workbench.core.store.checkpoints import (
    CheckpointError,
    load_checkpoint,
    save_checkpoint,
)
from workbench.core.store.disk_space import estimate, shortage
from workbench.core.store.lineage import fork_epoch
from workbench.core.store.runs import Run, RunLocked, now_iso
from workbench.core.store.status import RunStatus
from workbench.core.training.distributed import SINGLE, SingleProcess
from workbench.core.training.failures import (
    NonFiniteLoss,
    check_finite,
    recorded,
    setup_reason,
    training_failure,
    write_reason,
)
from workbench.core.training.hooks import ScoringCancelled, epoch_hooks, epoch_recorders

TRACE_POINTS = 100  # per-batch losses kept per epoch in metrics.jsonl


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device cuda was asked for, but no CUDA GPU is available; use auto or cpu.")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise RuntimeError("device mps was asked for, but Apple's MPS is not available; use auto or cpu.")
    return torch.device(name)


class Trainer:
    def __init__(self, config: TrainConfig, run: Run, device: str | torch.device | None = None,
                 progress_interval: float = 0.25, group: SingleProcess = SINGLE):
        self.config = config.check()
        self.run = run
        self.device_name = str(device) if device is not None else config.device
        self.progress_interval = progress_interval
        self.group = group  # one process, or this rank of several (`distributed`): rank 0 writes

    # ---- public --------------------------------------------------------------------------
    def fit(self, on_event: Callable[[TrainingEvent], None] | None = None,
            control: TrainingControl | None = None) -> FinalEvent:
        """Train to `config.epochs`; returns the final event (Finished, Stopped or Failed)."""
        emit = on_event or (lambda event: None)
        control = control or TrainingControl()
        run = self.run
        try:
            with run.lock():
                final = self._fit_locked(emit, control)
        except RunLocked as e:
            final = Failed(run.id, str(e), reason=FailureReason.LOCKED)
        except OSError as e:  # the run folder itself could not be written (full, read-only, gone)
            final = Failed(run.id, f"Training could not write to its run folder. {describe_write_error(e)}",
                           reason=write_reason(e))
        emit(final)
        return final

    # ---- the loop ------------------------------------------------------------------------
    def _fit_locked(self, emit, control) -> FinalEvent:
        run, cfg = self.run, self.config
        setup_start, loaded_before = time.perf_counter(), placement.loads()
        try:
            device = resolve_device(self.device_name)
            images = training_images(cfg, device, emit, lambda: control.stopped)
            labels, classes = training_labels(cfg, device)
            state = self._restore_or_init(device, classes)
            hooks = epoch_hooks(cfg, device, emit, lambda: control.stopped) if self.group.writes else []
        except PreparationCancelled:
            return _stopped(run, run.read_info().epochs_done,
                            "Stopped while the image folder was being prepared; nothing was trained.")
        except ScoringCancelled:
            return _stopped(run, state.epochs_done,
                            "Stopped while the feature classifier was being trained; nothing was trained.")
        except (DatasetMissing, CheckpointError, RuntimeError) as e:
            return recorded(run, setup_reason(e), str(e))

        short = (shortage(run.path, estimate(cfg, state.parameters(), state.epochs_done))
                 if self.group.writes else None)
        short = self.group.start(state, short)  # every rank learns it, else wraps the networks for DDP
        if short:
            return recorded(run, FailureReason.DISK_FULL, short)
        source = BatchSource(images, cfg.batch_size, cfg.image_range, cfg.rotation_degrees, cfg.max_batches, device,
                             labels=labels)
        run.save_config(cfg)
        info = run.update_info()
        train_seconds = info.train_seconds or 0.0
        run.update_info(status=RunStatus.RUNNING, device=str(device), finished=None, message=None, reason=None,
                        versions=_versions(), epochs_done=state.epochs_done,
                        training=self.group.trained_on(info.training, device, state.epochs_done),
                        batches_per_epoch=source.batches_per_epoch,
                        setup_seconds=round(time.perf_counter() - setup_start, 3),
                        setup_cold=placement.loads() > loaded_before, classes=classes or None)
        recorders = epoch_recorders(cfg, run, emit) if self.group.writes else []
        emit(Started(run.id, cfg.epochs, state.epochs_done, source.batches_per_epoch, str(device),
                     tuple(grid_rows(state.classes))))
        segment_start = time.perf_counter()
        try:
            for epoch in range(state.epochs_done + 1, cfg.epochs + 1):
                ended = self._train_epoch(epoch, state, source, emit, control)
                if ended is None:  # stopped mid-epoch; state.partial holds where
                    self._save(state, run.latest_checkpoint)
                    return _stopped(run, state.epochs_done,
                                    f"Stopped during epoch {epoch}; resume continues from batch "
                                    f"{state.partial['next_batch'] + 1}.",
                                    train_seconds=train_seconds + time.perf_counter() - segment_start)
                for hook in hooks:
                    ended.scores.update(hook(state.sampler()))
                self._finish_epoch(state, ended, train_seconds + time.perf_counter() - segment_start)
                for recorder in recorders:  # after the epoch is on disk, so they mirror what was written
                    recorder.record(ended.metrics(), run.sample_file(epoch))
                emit(ended)
                if self.group.stop_requested(control) and epoch < cfg.epochs:
                    return _stopped(run, state.epochs_done, f"Stopped after epoch {epoch}.")
        except NonFiniteLoss as e:  # diverged: training it again gives the same NaN (sweeps skip it)
            return recorded(run, FailureReason.DIVERGED, str(e), e.epoch, e.batch)
        except Exception as e:  # keep the run and say what happened
            failed = training_failure(run.id, e, self.group, state.saved_epoch)
            try:
                run.record_failure(failed.reason, failed.message)
            except OSError:
                pass  # the disk may still be full: run.json keeps its status, running, which lists as stopped
            return failed
        finally:
            for recorder in recorders:
                recorder.close()
        run.update_info(status=RunStatus.FINISHED, finished=now_iso())
        return Finished(run.id, state.epochs_done)

    def _train_epoch(self, epoch: int, state: TrainingState, source: BatchSource, emit, control):
        """One epoch; returns its EpochEnded, or None when stopped between batches."""
        cfg = self.config
        nb = source.batches_per_epoch
        partial = state.partial
        if partial and partial["stats"].shape[0] != nb:
            partial = None  # batches per epoch changed since the stop: redo the epoch from its start
        if partial:
            perm, start, stats = partial["perm"], partial["next_batch"], partial["stats"]
            state.partial = None
        else:
            perm, start = self.group.permutation(source), 0
            stats = torch.zeros(nb, 4, device=source.device)  # d_loss, g_loss, D(x), D(G(z))
        state.generator.train()
        state.discriminator.train()
        t0 = last_emit = time.perf_counter()
        checked = start
        seen = 0
        for b in range(start, nb):
            control.wait_while_paused()
            if self.group.stop_requested(control, b - start):
                state.partial = {"next_batch": b, "perm": perm, "stats": self.group.epoch_stats(stats)}
                return None
            real = source.batch(perm, b)
            labels = source.batch_labels(perm, b)
            if cfg.lr_decay == "linear":
                state.set_lr_fraction(cfg, 1.0 - ((epoch - 1) * nb + b) / (cfg.epochs * nb))
            try:
                stats[b] = train_step(state, real, cfg, do_g=(b + 1) % cfg.d_steps == 0, group=self.group,
                                      labels=labels)
            except RuntimeError:
                # BCELoss raises on NaN probabilities: report the NaN, not the symptom
                check_finite(stats, checked, b, epoch)
                if not state.weights_finite():
                    raise NonFiniteLoss(epoch, b + 1, "discriminator") from None
                raise
            seen += real.shape[0]
            now = time.perf_counter()
            if now - last_emit >= self.progress_interval:
                check_finite(stats, checked, b + 1, epoch)
                checked = b + 1
                d, g = stats[b, :2].tolist()
                emit(BatchProgress(epoch, b + 1, nb, d, g, seen / max(now - t0, 1e-9)))
                last_emit = now
        stats = self.group.epoch_stats(stats)  # the whole batch's values, the same on every rank
        check_finite(stats, start, nb, epoch)
        seconds = time.perf_counter() - t0
        means = stats.mean(0).tolist()
        grid = self._grid(state)
        trace = _downsample(stats[:, :2], TRACE_POINTS)
        return EpochEnded(epoch, cfg.epochs, means[0], means[1], means[2], means[3],
                          seen / max(seconds, 1e-9), seconds, grid, trace[0], trace[1])

    @torch.no_grad()
    def _grid(self, state: TrainingState):
        G = state.sampler()
        G.eval()
        if state.classes:  # one row per class, the same latent vectors in every row
            z, labels, columns = class_grid_inputs(state.fixed_noise, len(state.classes))
            images = G(z, labels)
        else:
            images, columns = G(state.fixed_noise), None
        G.train()
        return grid_array(to_display(images, self.config.image_range), columns)

    # ---- state, checkpoints --------------------------------------------------------------
    def _restore_or_init(self, device: torch.device, classes: list[str]) -> TrainingState:
        cfg, run = self.config, self.run
        ckpt = self.group.from_writer(lambda: load_checkpoint(run.latest_checkpoint, device)
                                      if run.latest_checkpoint.exists() else None, device)
        if ckpt is not None:
            if list(ckpt.get("classes") or []) != classes:
                raise CheckpointError(f"The run was trained with the classes {ckpt.get('classes') or 'none'}, "
                                      f"but its data now has {classes or 'none'}: resume needs the same classes.")
            state = TrainingState(cfg, device, classes)
            state.generator.load_state_dict(ckpt["generator"])
            state.discriminator.load_state_dict(ckpt["discriminator"])
            if state.average is not None and ckpt.get("generator_ema") is not None:
                state.average.load_state_dict(ckpt["generator_ema"])
            elif state.average is not None:  # a fork that turns averaging on: it starts from these weights
                state.average.model.load_state_dict(ckpt["generator"])
            state.opt_g.load_state_dict(ckpt["opt_g"])
            state.opt_d.load_state_dict(ckpt["opt_d"])
            state.set_hyperparameters(cfg)  # a fork's changed rates and betas; the same values on a resume
            state.fixed_noise = ckpt["fixed_noise"].to(device)
            state.epochs_done = state.saved_epoch = int(ckpt["epoch"])
            state.partial = ckpt.get("partial")
            torch.set_rng_state(ckpt["rng_cpu"].cpu())
            if device.type == "cuda" and ckpt.get("rng_cuda") is not None:
                torch.cuda.set_rng_state(ckpt["rng_cuda"].cpu(), device)
            run.trim_to(state.epochs_done)
            self._restore_kept_checkpoint(state)
            if self.group.writes:  # a best the last start could not keep, or a run from before best.pt
                refresh_best(run)
            return state
        run.trim_to(0)  # whatever an attempt before its first checkpoint wrote is redone
        torch.manual_seed(cfg.seed)
        state = TrainingState(cfg, device, classes)
        state.fixed_noise = fixed_noise(cfg).to(device)
        return state

    def _restore_kept_checkpoint(self, state: TrainingState) -> None:
        """A stop between the latest checkpoint and the kept one of the same epoch left the
        kept one missing: the latest holds exactly its content, so write it now."""
        if not self.group.writes:
            return
        every, epoch = self.config.keep_checkpoint_every, state.epochs_done
        path = self.run.epoch_checkpoint(epoch)
        if (every and epoch and epoch % every == 0 and not state.partial and not path.exists()
                and epoch > fork_epoch(self.run)):  # a fork's start is its parent's epoch
            self._save(state, path)

    def _save(self, state: TrainingState, path) -> None:
        if not self.group.writes:
            return
        save_checkpoint(path, {
            "epoch": state.epochs_done,
            "generator": state.generator.state_dict(),
            "discriminator": state.discriminator.state_dict(),
            "generator_ema": state.average.state_dict() if state.average is not None else None,
            "opt_g": state.opt_g.state_dict(),
            "opt_d": state.opt_d.state_dict(),
            "fixed_noise": state.fixed_noise,
            "rng_cpu": torch.get_rng_state(),
            "rng_cuda": torch.cuda.get_rng_state(state.device) if state.device.type == "cuda" else None,
            "partial": state.partial,
            **({"classes": state.classes} if state.classes else {}),
        })

    def _finish_epoch(self, state: TrainingState, ended: EpochEnded, train_seconds: float) -> None:
        """Samples, metrics, then the checkpoint (and best.pt when the epoch scored best): a kill
        between them is repaired on resume by trimming metrics to the checkpoint's epoch."""
        run, epoch = self.run, ended.epoch
        if not self.group.writes:
            state.epochs_done = state.saved_epoch = epoch
            return
        save_png(ended.grid, run.sample_file(epoch))
        run.append_metrics(ended.metrics())
        state.epochs_done = epoch
        self._save(state, run.latest_checkpoint)
        state.saved_epoch = epoch
        every = self.config.keep_checkpoint_every
        if every and epoch % every == 0:
            self._save(state, run.epoch_checkpoint(epoch))
        offer_best(run.checkpoints_dir, epoch, ended.scores.get("quality"), run.latest_checkpoint,
                   ended.scores.get("classifier_version"))
        run.update_info(epochs_done=epoch, train_seconds=train_seconds)


class TrainingState:
    """Models, optimizers and position of a run being trained (what its checkpoint holds)."""

    def __init__(self, cfg: TrainConfig, device: torch.device, classes: list[str] | None = None):
        self.device = device
        self.classes = list(classes or [])  # the class names of a conditional run, in label order
        count = len(self.classes)
        self.generator = _placed(build_generator(cfg, count), cfg, device)
        self.discriminator = _placed(build_discriminator(cfg, count), cfg, device)
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=cfg.lr_g, betas=(cfg.beta1_g, cfg.beta2_g))
        self.opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=cfg.lr_d, betas=(cfg.beta1_d, cfg.beta2_d))
        def noise(n, rng):
            z = draw_noise(n, cfg, device, rng)
            return (z, cycled_labels(n, count, device)) if count else z

        self.average = GeneratorAverage(self.generator, cfg.g_ema, noise) if cfg.g_ema else None
        self.objective = Objective(cfg.loss, cfg.real_label)
        self.fixed_noise: torch.Tensor | None = None
        self.epochs_done = 0
        self.saved_epoch = 0  # the epoch the latest checkpoint on disk holds
        self.partial: dict | None = None

    def set_hyperparameters(self, cfg: TrainConfig) -> None:
        """The config's learning rates and betas on both optimizers, whose loaded state carries
        the values they were saved with (a linear decay sets the rate again at every step)."""
        for opt, lr, betas in ((self.opt_g, cfg.lr_g, (cfg.beta1_g, cfg.beta2_g)),
                               (self.opt_d, cfg.lr_d, (cfg.beta1_d, cfg.beta2_d))):
            for group in opt.param_groups:
                group["lr"], group["betas"] = lr, betas

    def set_lr_fraction(self, cfg: TrainConfig, fraction: float) -> None:
        """Both optimizers at `fraction` of the config's learning rates (a decay schedule; a
        function of the step alone, so a resumed run continues it exactly)."""
        for opt, lr in ((self.opt_g, cfg.lr_g), (self.opt_d, cfg.lr_d)):
            for group in opt.param_groups:
                group["lr"] = lr * max(fraction, 0.0)

    def sampler(self) -> torch.nn.Module:
        """The generator that draws the grids and is scored: the average when `g_ema` keeps one."""
        return self.average.synced() if self.average is not None else self.generator

    def parameters(self) -> int:
        return sum(p.numel() for net in (self.generator, self.discriminator) for p in net.parameters())

    def weights_finite(self) -> bool:
        return all(bool(torch.isfinite(p).all()) for net in (self.generator, self.discriminator)
                   for p in net.parameters())


def train_step(state: TrainingState, real: torch.Tensor, config: TrainConfig, do_g: bool = True,
               group: SingleProcess = SINGLE, labels: torch.Tensor | None = None) -> torch.Tensor:
    """One D update (and a G update when due); returns [d_loss, g_loss, D(x), D(G(z))], on the
    device (reading it waits for the device). With several processes, each trains on its slice
    of the batch and of its noise. A conditional run passes the real images' `labels`: G draws
    its fakes for the same classes, and D judges each image with its class."""
    G, D = group.networks(state, do_g)
    objective = state.objective
    z = draw_noise(real.shape[0], config, real.device)
    real, z = group.take(real), group.take(z)
    given = () if labels is None else (group.take(labels),)
    fake = G(z, *given)
    state.opt_d.zero_grad(set_to_none=True)
    out_real = D(real, *given)
    out_fake = D(fake.detach(), *given)
    d_loss = objective.discriminator_loss(out_real, out_fake)
    d_loss.backward()
    state.opt_d.step()
    if do_g:
        state.opt_g.zero_grad(set_to_none=True)
        g_loss = objective.generator_loss(D(fake, *given))
        g_loss.backward()
        state.opt_g.step()
        if state.average is not None:
            state.average.update()
    else:
        g_loss = objective.generator_loss(out_fake.detach())
    with torch.no_grad():
        return torch.stack([d_loss.detach(), g_loss.detach(),
                            objective.probability(out_real.detach()).mean(),
                            objective.probability(out_fake.detach()).mean()])


def _placed(model: torch.nn.Module, cfg: TrainConfig, device: torch.device) -> torch.nn.Module:
    """The model on the training device; a convolutional one in channels-last layout, the one the
    CPU's convolution kernels work in, which saves a layout conversion around every layer (a
    third more images/s for `cpu-fast` on 2 cores; the same arithmetic up to rounding order)."""
    model = model.to(device)
    return model if cfg.architecture == "mlp" else model.to(memory_format=torch.channels_last)


def _stopped(run: Run, epochs_done: int, message: str, **changes) -> Stopped:
    run.update_info(status=RunStatus.STOPPED, finished=now_iso(), **changes)
    return Stopped(run.id, epochs_done, message)


def _downsample(values: torch.Tensor, points: int) -> tuple[list, list]:
    """Mean of equal chunks so that at most `points` values per series remain."""
    n = values.shape[0]
    chunk = max(1, math.ceil(n / points))
    pad = (-n) % chunk
    if pad:
        values = torch.cat([values, values[-1:].expand(pad, -1)])
    means = values.view(-1, chunk, values.shape[1]).mean(1).t().tolist()
    return means[0], means[1]


def _versions() -> dict:
    import torchvision

    return {"workbench": workbench.__version__, "torch": torch.__version__,
            "torchvision": torchvision.__version__, "python": platform.python_version(),
            "platform": sys.platform}
