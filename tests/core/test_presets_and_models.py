import pytest
import torch
from torch import nn

from workbench.core.config import TrainConfig
from workbench.core.nets.models import build_discriminator, build_generator, parameter_count
from workbench.core.presets import DEFAULT_PRESET, PRESETS, matching_preset, preset_config

COUNTS = {
    "mlp-dropout": (114_800, 110_849),
    "mlp-small": (114_064, 100_609),
    "dcgan": (759_680, 138_624),
    "dcgan-small": (747_841, 64_545),
}
CPU_FAST_COUNTS = (347_072, 36_544)  # the previous default: the dcgan family at half width


def test_default_preset_is_the_small_dcgan_at_batch_64_without_rotation_that_evaluates():
    config = preset_config(DEFAULT_PRESET)
    assert DEFAULT_PRESET == "cpu-quality" and config.eval_samples == 2000
    counts = (parameter_count(build_generator(config)), parameter_count(build_discriminator(config)))
    assert counts == COUNTS["dcgan-small"]  # the same networks
    assert (config.batch_size, config.rotation_degrees, config.g_ema, config.epochs) == (64, 0.0, 0.999, 16)
    assert config.to_dict() == preset_config("dcgan-small").with_changes(
        batch_size=64, rotation_degrees=0.0, g_ema=0.999, epochs=16, eval_samples=2000).to_dict()
    fast = preset_config("cpu-fast")
    assert (parameter_count(build_generator(fast)), parameter_count(build_discriminator(fast))) == CPU_FAST_COUNTS
    assert (fast.beta1_g, fast.beta1_d, fast.epochs, fast.lr_decay) == (0.0, 0.0, 12, "none")


@pytest.mark.parametrize("name", list(COUNTS))
def test_preset_parameter_counts(name):
    config = preset_config(name)
    assert parameter_count(build_generator(config)) == COUNTS[name][0]
    assert parameter_count(build_discriminator(config)) == COUNTS[name][1]


@pytest.mark.parametrize("name", list(COUNTS))
def test_preset_shapes(name):
    config = preset_config(name)
    g, d = build_generator(config), build_discriminator(config)
    x = g(torch.randn(5, config.latent_size))
    assert x.shape == (5, 1, 28, 28)
    assert x.min() >= -1 and x.max() <= 1  # tanh output
    assert d(x).shape == (5,)


#: the DCGAN paper's layouts in colour; 64 px is pytorch/examples' dcgan exactly (ngf = ndf = 64)
COLOUR_COUNTS = {
    "cifar10-dcgan": (1_068_928, 663_296, (3, 32, 32)),
    "folder-dcgan64": (3_576_704, 2_765_568, (3, 64, 64)),
}


def test_presets_are_valid_and_listed():
    assert set(PRESETS) == set(COUNTS) | {DEFAULT_PRESET, "cpu-fast", "cpu-conditional"} | set(COLOUR_COUNTS)
    for name, preset in PRESETS.items():
        config = preset.config.with_changes(image_folder="photos") if name == "folder-dcgan64" else preset.config
        assert config.validate() == [], name
        assert preset.description


def test_folder_preset_asks_for_its_folder():
    errors = preset_config("folder-dcgan64").validate()
    assert [e.field for e in errors] == ["image_folder"]
    assert "--image-folder" in str(errors[0]) and "folder" in errors[0].allowed


@pytest.mark.parametrize("name", list(COLOUR_COUNTS))
def test_colour_presets_follow_the_dcgan_paper(name):
    config = preset_config(name)
    g, d = build_generator(config), build_discriminator(config)
    assert (parameter_count(g), parameter_count(d)) == COLOUR_COUNTS[name][:2]
    assert (config.batch_size, config.lr_g, config.lr_d, config.beta1_g, config.beta1_d) == (128, 2e-4, 2e-4, 0.5, 0.5)
    x = g(torch.randn(3, config.latent_size))
    assert x.shape == (3, *COLOUR_COUNTS[name][2]) and d(x).shape == (3,)
    strided = [m for m in g.modules() if isinstance(m, nn.ConvTranspose2d) and m.stride == (2, 2)]
    assert len(strided) == {32: 3, 64: 4}[config.image_size]


def test_preset_hyperparameters_match_their_references():
    p = preset_config("mlp-dropout")
    assert (p.latent_distribution, p.loss, p.lr_g, p.lr_d, p.batch_size, p.epochs, p.dropout) == (
        "uniform", "bce-logits", 0.002, 0.002, 64, 100, 0.3)
    assert (p.beta1_g, p.beta2_g) == (0.9, 0.999)
    p = preset_config("mlp-small")
    assert (p.latent_distribution, p.loss, p.lr_g, p.batch_size, p.epochs, p.image_range) == (
        "normal", "bce", 0.0002, 128, 50, "symmetric")
    p = preset_config("dcgan")
    assert (p.loss, p.lr_g, p.beta1_g, p.beta2_g, p.batch_size, p.epochs) == ("bce", 0.0002, 0.5, 0.999, 128, 10)
    assert p.weight_init == "default"  # its reference sets no initialisation: PyTorch's defaults
    p = preset_config("dcgan-small")
    assert (p.latent_size, p.loss, p.beta1_d, p.beta2_d, p.batch_size, p.epochs, p.rotation_degrees,
            p.image_range, p.weight_init) == (64, "bce-logits", 0.5, 0.99, 128, 25, 20.0, "unit", "normal-0.02")
    for name in COUNTS:  # reproductions: evaluation is the user's choice, off by default
        assert preset_config(name).eval_samples == 0


def test_evaluation_does_not_make_a_config_custom():
    config = preset_config("dcgan-small").with_changes(eval_samples=2000)
    assert matching_preset(config) == "dcgan-small"


def test_discriminator_head_follows_the_loss():
    with_sigmoid = build_discriminator(preset_config("mlp-small"))
    logits = build_discriminator(preset_config("mlp-dropout"))
    assert isinstance(list(with_sigmoid.modules())[-1], nn.Sigmoid)
    assert not any(isinstance(m, nn.Sigmoid) for m in logits.modules())


def test_dropout_in_every_hidden_layer_of_mlp_dropout():
    config = preset_config("mlp-dropout")
    for net in (build_generator(config), build_discriminator(config)):
        assert sum(isinstance(m, nn.Dropout) and m.p == 0.3 for m in net.modules()) == 3


def test_weight_init_schemes():
    torch.manual_seed(0)
    small = build_generator(preset_config("dcgan-small"))
    bns = [m for m in small.modules() if isinstance(m, nn.BatchNorm2d)]
    assert abs(torch.cat([m.weight for m in bns]).mean().item()) < 0.01
    assert all(torch.all(m.bias == 0) for m in bns)
    convs = [m for m in small.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert abs(torch.cat([m.weight.flatten() for m in convs]).std().item() - 0.02) < 0.002
    dcgan = build_generator(preset_config("dcgan"))
    bn = [m for m in dcgan.modules() if isinstance(m, nn.BatchNorm2d)]
    assert abs(torch.cat([m.weight for m in bn]).mean().item() - 1.0) < 0.01


def test_matching_preset_ignores_run_length_and_seed():
    config = preset_config("dcgan").with_changes(epochs=3, seed=7, max_batches=10)
    assert matching_preset(config) == "dcgan"
    assert matching_preset(config.with_changes(lr_g=0.001)) is None
    assert matching_preset(TrainConfig(architecture="mlp", g_widths=[5], d_widths=[5])) is None


def test_unknown_preset_names_the_known_ones():
    with pytest.raises(KeyError, match="mlp-small"):
        preset_config("nope")


@pytest.mark.parametrize("name", list(COUNTS))
def test_spectral_norm_replaces_batch_norm_in_every_discriminator(name):
    from torch.nn.utils import parametrize

    config = preset_config(name).with_changes(d_norm="spectral", loss="hinge")
    d = build_discriminator(config)
    layers = [m for m in d.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert layers and all(parametrize.is_parametrized(m, "weight") for m in layers)
    assert not any(isinstance(m, (nn.BatchNorm2d, nn.Sigmoid)) for m in d.modules())
    assert any(isinstance(m, nn.BatchNorm2d) for m in build_generator(config).modules()) == ("mlp" not in name)
    d.eval()
    x = torch.randn(3, 1, 28, 28)
    for m in layers:  # every layer's largest singular value is about 1 after its power iterations
        w = m.weight.flatten(1)
        assert torch.linalg.matrix_norm(w, ord=2).item() == pytest.approx(1.0, abs=0.1)
    assert d(x).shape == (3,)


def test_init_reaches_the_stored_weights_of_spectral_layers():
    torch.manual_seed(0)
    d = build_discriminator(preset_config("dcgan").with_changes(d_norm="spectral", weight_init="normal-0.02"))
    convs = [m for m in d.modules() if isinstance(m, nn.Conv2d)]
    originals = torch.cat([m.parametrizations.weight.original.flatten() for m in convs])
    assert abs(originals.std().item() - 0.02) < 0.003
    d.eval()
    for m in convs:  # the singular-vector estimates were made from these weights, not from discarded ones
        assert torch.linalg.matrix_norm(m.weight.flatten(1), ord=2).item() == pytest.approx(1.0, abs=0.1)


def test_hinge_objective_on_known_scores():
    from workbench.core.nets.losses import Objective

    hinge = Objective("hinge")
    real, fake = torch.tensor([2.0, 0.5]), torch.tensor([-2.0, 0.0])
    # D: mean(relu(1 - [2, .5])) + mean(relu(1 + [-2, 0])) = .25 + .5; G: -mean(fake) = 1
    assert hinge.discriminator_loss(real, fake).item() == pytest.approx(0.75)
    assert hinge.generator_loss(fake).item() == pytest.approx(1.0)
    assert hinge.probability(torch.tensor([0.0])).item() == pytest.approx(0.5)
    smoothed = Objective("bce-logits", real_label=0.9)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(real, torch.full((2,), 0.9))
    assert smoothed.discriminator_loss(real, torch.tensor([-50.0, -50.0])).item() == pytest.approx(
        expected.item(), abs=1e-6)
