"""Minibatch standard deviation in D (`d_stddev`): the spread within each class of the batch, so a
generator drawing one image per class is seen; every family builds with it and without it stays
as it was."""

import pytest
import torch

from workbench.core.config import TrainConfig
from workbench.core.nets.models import build_discriminator
from workbench.core.nets.stddev import BatchStddev
from workbench.core.presets import preset_config


def test_the_spread_is_taken_within_each_class():
    torch.manual_seed(0)
    labels = torch.tensor([0, 1, 0, 1, 2, 2])
    varied = torch.randn(6, 3, 4, 4)
    one_per_class = torch.randn(3, 3, 4, 4)[labels]  # each class drawn as one image
    layer = BatchStddev(classes=3)
    out = layer(varied, labels)
    assert out.shape == (6, 4, 4, 4) and torch.equal(out[:, :3], varied)
    spread = out[:, 3, 0, 0]
    expected = varied[labels == 0].var(0, unbiased=False).add(1e-8).sqrt().mean()
    assert spread[0] == pytest.approx(float(expected), rel=1e-4) and spread[0] == spread[2]
    assert bool((out[:, 3] == spread[:, None, None]).all())  # the same value over the feature map
    assert float(layer(one_per_class, labels)[:, 3].max()) < 1e-3  # a class-consistent collapse: no spread
    # the classes differ, so the spread over the whole batch would not see that collapse
    assert float(BatchStddev()(one_per_class)[:, 3].min()) > 0.5
    flat = BatchStddev()(torch.randn(5, 7))
    assert flat.shape == (5, 8) and torch.allclose(flat[:, 7], flat[0, 7])


def test_the_spread_passes_gradients_and_a_lone_class_gives_no_nan():
    x = torch.randn(4, 2, requires_grad=True)
    BatchStddev(classes=4)(x, torch.tensor([0, 1, 1, 3]))[:, 2].sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad[1:3].abs().sum() > 0


@pytest.mark.parametrize("preset", ["mlp-small", "dcgan", "dcgan-small"])
@pytest.mark.parametrize("condition", ["none", "class"])
def test_every_family_builds_with_the_spread_and_without_it_is_unchanged(preset, condition):
    config = preset_config(preset).with_changes(condition=condition)
    classes = 10 if condition == "class" else 0
    plain = build_discriminator(config, classes)
    with_spread = build_discriminator(config.with_changes(d_stddev=True), classes)
    assert not any(isinstance(m, BatchStddev) for m in plain.modules())
    assert sum(isinstance(m, BatchStddev) for m in with_spread.modules()) == 1
    x = torch.rand(8, 1, 28, 28)
    labels = torch.arange(8) % 10 if classes else None
    given = (labels,) if classes else ()
    assert with_spread(x, *given).shape == plain(x, *given).shape == (8,)
    # the layer after the spread takes it as one more input than the plain D's
    weights = [m.weight.shape[1] for m in with_spread.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    plain_weights = [m.weight.shape[1] for m in plain.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    assert sum(weights) == sum(plain_weights) + 1


def test_the_conditional_preset_uses_the_spread_and_a_fork_cannot_change_it():
    from workbench.core.store.forking import REFUSED

    assert preset_config("cpu-conditional").d_stddev is True
    assert TrainConfig().d_stddev is False and TrainConfig.from_dict({}).d_stddev is False
    assert "d_stddev" in REFUSED
