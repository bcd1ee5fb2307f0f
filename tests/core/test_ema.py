"""The generator average (`g_ema`): it trails the trained weights, draws the grids and scores,
is what sampling and export load, and leaves training itself unchanged."""

import io

import torch

from workbench.core.checkpoints import load_checkpoint
from workbench.core.ema import GeneratorAverage, sampling_weights
from workbench.core.epoch_checkpoints import checkpoint_for, load_networks
from workbench.core.export import export_run
from workbench.core.presets import preset_config
from workbench.core.runs import RunStore
from workbench.core.training import Trainer


def test_the_average_moves_toward_the_weights_by_one_minus_decay():
    net = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    average = GeneratorAverage(net, 0.75)
    before = [p.clone() for p in average.model.parameters()]
    with torch.no_grad():
        for p in net.parameters():
            p.add_(1.0)
        net[1].running_mean.fill_(5.0)
    average.update()
    for old, new in zip(before, average.model.parameters()):
        assert torch.allclose(new, old + 0.25)
    assert not any(p.requires_grad for p in average.model.parameters())
    assert torch.equal(average.synced()[1].running_mean, torch.full((2,), 5.0))
    assert sampling_weights({"generator": {"a": 1}, "generator_ema": None}) == {"a": 1}
    assert sampling_weights({"generator": {"a": 1}, "generator_ema": {"a": 2}}) == {"a": 2}


def test_a_run_with_averaging_trains_the_same_and_samples_from_the_average(isolated_home, mnist_root,
                                                                           monkeypatch, tmp_path):
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(mnist_root))
    store = RunStore()
    config = preset_config("mlp-small").with_changes(epochs=2, max_batches=20)
    plain, averaged = store.create(config), store.create(config.with_changes(g_ema=0.9))
    Trainer(config, plain).run()
    Trainer(config.with_changes(g_ema=0.9), averaged).run()
    a, b = plain.metrics().epochs, averaged.metrics().epochs
    assert [(e["d_loss"], e["g_loss"]) for e in a] == [(e["d_loss"], e["g_loss"]) for e in b]  # training unchanged
    state = load_checkpoint(averaged.latest_checkpoint)
    assert state["generator_ema"] is not None and load_checkpoint(plain.latest_checkpoint)["generator_ema"] is None
    assert all(torch.equal(state["generator"][k], load_checkpoint(plain.latest_checkpoint)["generator"][k])
               for k in state["generator"])
    assert any(not torch.equal(state["generator"][k], state["generator_ema"][k]) for k in state["generator"])
    assert plain.sample_file(2).read_bytes() != averaged.sample_file(2).read_bytes()  # the grid is the average's
    _, generator, _ = load_networks(averaged, checkpoint_for(averaged))
    for name, value in generator.state_dict().items():
        assert torch.equal(value, state["generator_ema"][name])
    export_run(averaged, tmp_path / "out")
    exported = torch.load(io.BytesIO((tmp_path / "out" / "generator.pt").read_bytes()), weights_only=True)
    assert all(torch.equal(exported[k], state["generator_ema"][k]) for k in exported)
