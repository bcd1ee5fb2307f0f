"""The generator average (`g_ema`): it trails the trained weights, draws the grids and scores,
is what sampling and export load, and leaves training itself unchanged."""

import io

import torch

from workbench.core.nets.averaging import GeneratorAverage, sampling_weights
from workbench.core.outputs.export import export_run
from workbench.core.presets import preset_config
from workbench.core.store.checkpoints import load_checkpoint
from workbench.core.store.epoch_checkpoints import checkpoint_for, load_networks
from workbench.core.store.runs import RunStore
from workbench.core.training.trainer import Trainer


def test_the_average_warms_up_then_moves_toward_the_weights_by_one_minus_decay():
    net = torch.nn.Sequential(torch.nn.Linear(3, 2))
    average = GeneratorAverage(net, 0.75, lambda n, rng: torch.randn(n, 3, generator=rng))
    with torch.no_grad():
        net[0].weight.fill_(1.0)
    average.model[0].weight.data.fill_(0.0)
    average.update()  # warm-up: decay min(0.75, 1/10): the average jumps most of the way
    assert torch.allclose(average.model[0].weight, torch.full((2, 3), 0.9))
    for _ in range(30):  # from update 26 on, (1 + t) / (10 + t) exceeds the decay
        average.update()
    assert average.updates == 31
    with torch.no_grad():
        net[0].weight.fill_(2.0)
    before = average.model[0].weight.clone()
    average.update()  # past warm-up: exactly 1 - decay of the way
    assert torch.allclose(average.model[0].weight, before + 0.25 * (2.0 - before))
    assert not any(p.requires_grad for p in average.model.parameters())
    assert sampling_weights({"generator": {"a": 1}, "generator_ema": None}) == {"a": 1}
    assert sampling_weights({"generator": {"a": 1}, "generator_ema": {"weights": {"a": 2}, "updates": 3}}) == {"a": 2}


def test_batch_norm_statistics_are_the_averages_own_and_training_noise_is_untouched():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8))
    net[1].running_mean.fill_(100.0)  # the live network's statistics must not leak into the average's
    average = GeneratorAverage(net, 0.9, lambda n, rng: torch.randn(n, 4, generator=rng))
    average.update()
    state = torch.get_rng_state()
    model = average.synced()
    assert torch.equal(torch.get_rng_state(), state)
    assert not model.training and model[1].running_mean.abs().max() < 5.0
    assert model[1].momentum == net[1].momentum
    stats = model[1].running_mean.clone()
    assert torch.equal(average.synced()[1].running_mean, stats)  # no step since: not recomputed
    saved = average.state_dict()
    other = GeneratorAverage(net, 0.9, lambda n, rng: torch.randn(n, 4, generator=rng))
    other.load_state_dict(saved)
    assert other.updates == 1 and torch.equal(other.synced()[1].running_mean, stats)


def test_a_run_with_averaging_trains_the_same_and_samples_from_the_average(isolated_home, mnist_root,
                                                                           monkeypatch, tmp_path):
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(mnist_root))
    store = RunStore()
    config = preset_config("mlp-small").with_changes(epochs=2, max_batches=20)
    plain, averaged = store.create(config), store.create(config.with_changes(g_ema=0.9))
    Trainer(config, plain).fit()
    Trainer(config.with_changes(g_ema=0.9), averaged).fit()
    a, b = plain.metrics().epochs, averaged.metrics().epochs
    assert [(e["d_loss"], e["g_loss"]) for e in a] == [(e["d_loss"], e["g_loss"]) for e in b]  # training unchanged
    state = load_checkpoint(averaged.latest_checkpoint)
    assert state["generator_ema"]["updates"] == 40 and load_checkpoint(plain.latest_checkpoint)["generator_ema"] is None
    assert all(torch.equal(state["generator"][k], load_checkpoint(plain.latest_checkpoint)["generator"][k])
               for k in state["generator"])
    average = state["generator_ema"]["weights"]
    assert any(not torch.equal(state["generator"][k], average[k]) for k in state["generator"])
    assert plain.sample_file(2).read_bytes() != averaged.sample_file(2).read_bytes()  # the grid is the average's
    _, generator, _ = load_networks(averaged, checkpoint_for(averaged))
    for name, value in generator.state_dict().items():
        assert torch.equal(value, average[name])
    export_run(averaged, tmp_path / "out")
    exported = torch.load(io.BytesIO((tmp_path / "out" / "generator.pt").read_bytes()), weights_only=True)
    assert all(torch.equal(exported[k], average[k]) for k in exported)
