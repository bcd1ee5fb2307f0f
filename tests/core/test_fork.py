"""Forking a run from a kept epoch: the config checks (changeable and refused fields, every
problem at once, nothing written), the exact fork, lineage (inherited epochs read from the
parent and marked) and deleting a parent that keeps its children readable."""

from __future__ import annotations

import pytest
import torch

from helpers.fork_runs import folders, parent_config, trained_parent
from workbench.core.config import field_names
from workbench.core.events import EpochEnded, Finished, Stopped, TrainingControl
from workbench.core.presets import preset_config
from workbench.core.store.check import check_run
from workbench.core.store.checkpoints import load_checkpoint
from workbench.core.store.epoch_checkpoints import epoch_checkpoints
from workbench.core.store.forking import (
    CHANGEABLE,
    REFUSED,
    ForkError,
    fork_config,
    fork_run,
    plan_fork,
)
from workbench.core.store.lineage import INHERITED, delete_run, history, parent_of
from workbench.core.store.runs import RunStore
from workbench.core.training.trainer import Trainer


def test_every_field_is_either_changeable_or_refused():
    assert set(CHANGEABLE) | set(REFUSED) == set(field_names())
    assert not set(CHANGEABLE) & set(REFUSED)
    assert {"architecture", "g_widths", "d_widths", "latent_size", "dataset", "image_size"} <= set(REFUSED)
    assert {"lr_g", "lr_d", "real_label", "g_ema", "batch_size", "epochs", "lr_decay",
            "eval_samples"} <= set(CHANGEABLE)


def test_fork_config_keeps_the_parent_and_applies_changes():
    parent = preset_config("mlp-small").with_changes(epochs=10)
    config, changed = fork_config(parent, {"lr_d": "0.0001", "real_label": 0.9, "epochs": "12",
                                           "architecture": "mlp"}, epoch=4)  # an unchanged shape field is fine
    assert changed == {"lr_d": 0.0001, "real_label": 0.9, "epochs": 12}
    assert config.to_dict() == {**parent.to_dict(), **changed}
    assert fork_config(parent, {}, epoch=4) == (parent, {})


def test_fork_config_reports_every_problem_at_once_naming_each_field():
    parent = preset_config("mlp-small").with_changes(epochs=10)
    with pytest.raises(ForkError) as caught:
        fork_config(parent, {"latent_size": 64, "g_widths": "64,64", "dataset": "cifar10", "lr_d": "fast",
                             "beta1_g": 2, "colour": "red", "epochs": 3}, epoch=4)
    problems = caught.value.problems
    named = [p.split(":")[0] for p in problems]
    assert sorted(named) == sorted(["latent_size", "g_widths", "dataset", "lr_d", "beta1_g", "colour", "epochs"])
    assert any(p.startswith("latent_size: a fork cannot change it (100 → 64)") and "shape" in p for p in problems)
    assert any(p.startswith("dataset:") and "the data" in p for p in problems)
    assert any(p.startswith("lr_d: 'fast' is not allowed") for p in problems)
    assert any(p.startswith("epochs: 3 is not allowed; expected more than the fork's epoch 4") for p in problems)
    with pytest.raises(ForkError, match="real_label"):  # the config's cross-field validation too
        fork_config(parent, {"loss": "hinge", "real_label": 0.9}, epoch=4)


@pytest.fixture
def parent(isolated_home, data):
    return trained_parent(isolated_home)


def test_refused_fork_writes_nothing(parent, isolated_home):
    before = folders(isolated_home)
    for epoch, changes, message in [
        (2, {"architecture": "dcgan-small"}, "architecture: a fork cannot change it"),
        (2, {"d_widths": "32", "lr_g": "x"}, "d_widths: a fork cannot change it"),
        (9, {}, "epoch: 9 has no checkpoint"),
        ("best", {}, "keeps no best epoch"),
        (4, {}, "epochs: 4 is not allowed"),  # the parent's last epoch: nothing left to train
    ]:
        with pytest.raises(ForkError, match=message):
            plan_fork(parent, epoch, changes)
    assert folders(isolated_home) == before


def test_a_fork_without_changes_trains_exactly_as_resuming_the_parent(isolated_home, data):
    store = RunStore()
    config = parent_config()
    run = store.create(config, name="stopped at 2")
    control = TrainingControl()

    def stop_after_2(event):
        if isinstance(event, EpochEnded) and event.epoch == 2:
            control.stop()

    assert isinstance(Trainer(config, run).fit(stop_after_2, control), Stopped)
    fork = fork_run(store, plan_fork(run, 2, {}))
    assert isinstance(Trainer(fork.config(), fork).fit(), Finished)
    assert isinstance(Trainer(run.config(), run).fit(), Finished)  # the parent resumed from 2
    mine = {e["epoch"]: e for e in fork.metrics().epochs}
    theirs = {e["epoch"]: e for e in run.metrics().epochs}
    assert sorted(mine) == [3, 4]
    for epoch in (3, 4):
        for key in ("d_loss", "g_loss", "d_real", "d_fake", "batch_d_loss", "batch_g_loss"):
            assert mine[epoch][key] == theirs[epoch][key], (epoch, key)
    a, b = load_checkpoint(fork.latest_checkpoint), load_checkpoint(run.latest_checkpoint)
    for part in ("generator", "discriminator"):
        for name, tensor in a[part].items():
            assert torch.equal(tensor, b[part][name]), (part, name)
    assert torch.equal(a["rng_cpu"], b["rng_cpu"])
    assert fork.sample_file(4).read_bytes() == run.sample_file(4).read_bytes()


def test_a_fork_starts_from_the_epoch_with_its_changes(parent):
    plan = plan_fork(parent, 2, {"lr_d": "0.001", "beta1_g": "0.5", "epochs": "5"})
    fork = fork_run(RunStore(), plan, name="faster D")
    info = fork.info()
    assert info["parent"] == {"run": parent.id, "epoch": 2} and info["epochs_done"] == 2
    assert info["name"] == "faster D" and fork.summary().epochs_done == 2
    start, kept = load_checkpoint(fork.latest_checkpoint), load_checkpoint(parent.epoch_checkpoint(2))
    for name, tensor in kept["generator"].items():
        assert torch.equal(start["generator"][name], tensor)
    assert epoch_checkpoints(fork) == {}  # its start is the parent's epoch 2, not one of its own
    with pytest.raises(ForkError, match="train at least one epoch"):
        plan_fork(fork, "latest", {})
    events = []
    assert isinstance(Trainer(fork.config(), fork).fit(events.append), Finished)
    assert events[0].epochs_done == 2  # Started: it continues from E
    after = load_checkpoint(fork.latest_checkpoint)
    assert after["epoch"] == 5 and after["opt_d"]["param_groups"][0]["lr"] == 0.001
    assert after["opt_g"]["param_groups"][0]["betas"] == (0.5, 0.999)
    assert after["opt_g"]["param_groups"][0]["lr"] == kept["opt_g"]["param_groups"][0]["lr"]
    assert fork.kept_checkpoint_epochs() == [3, 4, 5] and list(epoch_checkpoints(fork)) == [3, 4, 5]


def test_fork_history_reads_the_parent_marked_inherited_and_survives_its_deletion(parent, isolated_home):
    store = RunStore()
    child = fork_run(store, plan_fork(parent, 2, {"epochs": 5}))
    Trainer(child.config(), child).fit()
    grandchild = fork_run(store, plan_fork(child, "latest", {"epochs": 6}))  # 5 of 5: forks at 5
    Trainer(grandchild.config(), grandchild).fit()
    assert parent_of(grandchild).epoch == 5

    seen = history(grandchild)
    assert [(e["epoch"], bool(e.get("inherited"))) for e in seen.epochs] == [
        (1, True), (2, True), (3, True), (4, True), (5, True), (6, False)]
    assert seen.grids[1].parent.parent == parent.path and seen.grids[3].parent.parent == child.path
    assert not (child.path / INHERITED).exists() and child.metrics_file.read_text().count("\n") == 3  # not copied
    parent_lines = {e["epoch"]: e for e in parent.metrics().epochs}
    assert seen.epochs[1]["g_loss"] == parent_lines[2]["g_loss"]
    assert grandchild.summary().epochs_done == 6 and check_run(grandchild).ok

    values = [(e["epoch"], e["g_loss"], bool(e.get("inherited"))) for e in seen.epochs]
    pictures = {e: p.read_bytes() for e, p in seen.grids.items()}
    assert [c.id for c in delete_run(store, child)] == [grandchild.id]  # the middle one
    assert not child.path.exists()
    after = history(grandchild)
    assert [(e["epoch"], e["g_loss"], bool(e.get("inherited"))) for e in after.epochs] == values
    assert {e: p.read_bytes() for e, p in after.grids.items()} == pictures
    assert all(p.is_relative_to(grandchild.path) for p in after.grids.values()) and after.problem is None
    delete_run(store, parent)  # the grandchild no longer reads from it
    assert [e["epoch"] for e in history(grandchild).epochs] == [1, 2, 3, 4, 5, 6]
    assert check_run(grandchild).ok


def test_a_fork_whose_parent_vanished_uncopied_still_reads_its_own_epochs(parent):
    import shutil

    store = RunStore()
    child = fork_run(store, plan_fork(parent, 3, {}))
    Trainer(child.config(), child).fit()
    shutil.rmtree(parent.path)  # deleted by hand, not by the app
    seen = history(child)
    assert [e["epoch"] for e in seen.epochs] == [4] and "is gone" in seen.problem
    assert child.summary().status == "finished"


def test_a_fork_that_turns_averaging_on_averages_from_the_forked_weights(parent):
    fork = fork_run(RunStore(), plan_fork(parent, 3, {"g_ema": "0.999"}))
    assert "generator_ema" not in load_checkpoint(fork.latest_checkpoint) or \
        load_checkpoint(fork.latest_checkpoint)["generator_ema"] is None  # the parent kept no average
    state = Trainer(fork.config(), fork)._restore_or_init(torch.device("cpu"), [])
    assert state.average is not None and state.epochs_done == 3
    for name, tensor in load_checkpoint(parent.epoch_checkpoint(3))["generator"].items():
        assert torch.equal(state.average.model.state_dict()[name], tensor), name
