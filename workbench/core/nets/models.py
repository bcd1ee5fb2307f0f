"""Generator and discriminator families, a registry by architecture name, and weight init.

Every family maps a latent batch (N, z) to images (N, C, S, S) of the config's geometry in tanh
range and images to one score per image: a probability when the loss is `bce`, a logit when it
is `bce-logits`. At 1×28×28 every family is exactly what it was before colour and larger sizes.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from workbench.core.config import TrainConfig
from workbench.core.geometry import dcgan_first_kernel, image_shape


def _mlp_layers(sizes: list[int], dropout: float) -> list[nn.Module]:
    """Linear → LeakyReLU(0.2) [→ Dropout] for each consecutive pair of sizes."""
    layers: list[nn.Module] = []
    for a, b in zip(sizes, sizes[1:]):
        layers += [nn.Linear(a, b), nn.LeakyReLU(0.2)]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
    return layers


class MlpGenerator(nn.Module):
    def __init__(self, config: TrainConfig):
        super().__init__()
        self.shape = image_shape(config)
        sizes = [config.latent_size, *config.g_widths]
        pixels = self.shape[0] * self.shape[1] * self.shape[2]
        self.net = nn.Sequential(*_mlp_layers(sizes, config.dropout), nn.Linear(sizes[-1], pixels), nn.Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).view(-1, *self.shape)


class MlpDiscriminator(nn.Module):
    def __init__(self, config: TrainConfig):
        super().__init__()
        channels, height, width = image_shape(config)
        sizes = [channels * height * width, *config.d_widths]
        self.net = nn.Sequential(*_mlp_layers(sizes, config.dropout), nn.Linear(sizes[-1], 1), *_head(config))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.flatten(1)).view(-1)


class DcganGenerator(nn.Module):
    """z → ConvT to 7×7 (28 px) or 4×4 (32, 64 px), then one stride-2 ConvT(k4) per width:
    28 = 7→14→28, 32 = 4→8→16→32, 64 = 4→8→16→32→64 (the DCGAN paper's four strided
    blocks). Batch norm and ReLU between, tanh out, no biases."""

    def __init__(self, config: TrainConfig):
        super().__init__()
        widths = list(config.g_widths)
        layers = [nn.ConvTranspose2d(config.latent_size, widths[0], dcgan_first_kernel(config.image_size), 1, 0,
                                     bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU(True)]
        for a, b in zip(widths, widths[1:]):
            layers += [nn.ConvTranspose2d(a, b, 4, 2, 1, bias=False), nn.BatchNorm2d(b), nn.ReLU(True)]
        layers += [nn.ConvTranspose2d(widths[-1], config.channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z.view(z.shape[0], -1, 1, 1))


class DcganDiscriminator(nn.Module):
    """The generator mirrored: one stride-2 Conv(k4) per width (batch norm after all but the
    first, unless `d_norm` is spectral), then a 7×7 or 4×4 convolution to one score."""

    def __init__(self, config: TrainConfig):
        super().__init__()
        widths = list(config.d_widths)
        layers = [nn.Conv2d(config.channels, widths[0], 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True)]
        for a, b in zip(widths, widths[1:]):
            layers += [nn.Conv2d(a, b, 4, 2, 1, bias=False), *_d_batch_norm(config, b), nn.LeakyReLU(0.2, True)]
        last = dcgan_first_kernel(config.image_size)
        layers += [nn.Conv2d(widths[-1], 1, last, 1, 0, bias=False), *_head(config)]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).view(-1)


class DcganSmallGenerator(nn.Module):
    """z → 3×3 → 6×6 → 13×13 → 28×28 with batch-norm + ReLU blocks and a tanh output."""

    def __init__(self, config: TrainConfig):
        super().__init__()
        c1, c2, c3 = config.g_widths

        def block(cin, cout, k, s):
            return [nn.ConvTranspose2d(cin, cout, k, s), nn.BatchNorm2d(cout), nn.ReLU(True)]

        self.net = nn.Sequential(
            *block(config.latent_size, c1, 3, 2), *block(c1, c2, 4, 1), *block(c2, c3, 3, 2),
            nn.ConvTranspose2d(c3, config.channels, 4, 2), nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z.view(z.shape[0], -1, 1, 1))


class DcganSmallDiscriminator(nn.Module):
    def __init__(self, config: TrainConfig):
        super().__init__()
        c1, c2, c3 = config.d_widths

        def block(cin, cout, k):
            return [nn.Conv2d(cin, cout, k, 2), *_d_batch_norm(config, cout), nn.LeakyReLU(0.2, True)]

        self.net = nn.Sequential(
            *block(config.channels, c1, 3), *block(c1, c2, 5), *block(c2, c3, 5),
            nn.Flatten(), nn.Linear(c3, 1), *_head(config),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).view(-1)


def _head(config: TrainConfig) -> list[nn.Module]:
    """`bce` wants probabilities from D; `bce-logits` and `hinge` want raw scores."""
    return [nn.Sigmoid()] if config.loss == "bce" else []


def _d_batch_norm(config: TrainConfig, channels: int) -> list[nn.Module]:
    """Batch norm between D's blocks, unless spectral norm takes its place."""
    return [] if config.d_norm == "spectral" else [nn.BatchNorm2d(channels)]


def _spectral_norm(model: nn.Module) -> nn.Module:
    """Spectral norm on every convolution and linear layer, added after the init so that its
    singular-vector estimates start from the initial weights; each training forward pass then
    runs one power iteration."""
    for layer in [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]:
        nn.utils.parametrizations.spectral_norm(layer)
    return model


FAMILIES: dict[str, tuple[Callable[[TrainConfig], nn.Module], Callable[[TrainConfig], nn.Module]]] = {
    "mlp": (MlpGenerator, MlpDiscriminator),
    "dcgan": (DcganGenerator, DcganDiscriminator),
    "dcgan-small": (DcganSmallGenerator, DcganSmallDiscriminator),
}


def init_weights(module: nn.Module, scheme: str) -> None:
    """Apply a named init scheme to every conv and batch-norm layer (linear layers keep PyTorch's)."""
    if scheme == "default":
        return
    bn_mean = 1.0 if scheme == "dcgan" else 0.0
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, bn_mean, 0.02)
            nn.init.zeros_(m.bias)


def build_generator(config: TrainConfig) -> nn.Module:
    model = FAMILIES[config.architecture][0](config)
    init_weights(model, config.weight_init)
    return model


def build_discriminator(config: TrainConfig) -> nn.Module:
    model = FAMILIES[config.architecture][1](config)
    init_weights(model, config.weight_init)
    return _spectral_norm(model) if config.d_norm == "spectral" else model


def with_weights(build: Callable[[TrainConfig], nn.Module], config: TrainConfig, state_dict: dict,
                 device="cpu") -> nn.Module:
    """A network made straight from saved weights, built on the meta device first: it draws no
    random initial weights, so loading (evaluation, generation, another thread) never moves
    the random stream a training run depends on."""
    with torch.device("meta"):
        model = build(config)
    model = model.to_empty(device=device)
    model.load_state_dict(state_dict)
    return model


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
