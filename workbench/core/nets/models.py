"""Generator and discriminator families, a registry by architecture name, and weight init.

Every family maps a latent batch (N, z) to images (N, C, S, S) of the config's geometry in tanh
range and images to one score per image: a probability when the loss is `bce`, a logit when it
is `bce-logits`. At 1×28×28 every family is exactly what it was before colour and larger sizes.
Built with `classes` (a `condition: class` run), G also takes labels (or class embeddings) and D
labels: `conditioning` says how; without, they are exactly the unconditional networks.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from workbench.core.config import TrainConfig
from workbench.core.geometry import dcgan_first_kernel, image_shape
from workbench.core.nets.conditioning import (
    DEFAULT_CLASSES,
    EMBEDDING_SIZE,
    ClassEmbedding,
    conditional_norms,
    projected,
    projection_embedding,
    run_layers,
    with_one_hot,
)
from workbench.core.nets.stddev import stddev_features, stddev_layers


def _mlp_layers(sizes: list[int], dropout: float) -> list[nn.Module]:
    """Linear → LeakyReLU(0.2) [→ Dropout] for each consecutive pair of sizes."""
    layers: list[nn.Module] = []
    for a, b in zip(sizes, sizes[1:]):
        layers += [nn.Linear(a, b), nn.LeakyReLU(0.2)]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
    return layers


class _Generator(nn.Module):
    """What every family's generator shares: the class embedding when it is conditional."""

    def _conditioning(self, classes: int) -> int:
        """Builds the embedding (conditional) and returns the width it adds to z."""
        self.condition = ClassEmbedding(classes) if classes else None
        return EMBEDDING_SIZE if classes else 0

    def _input(self, z: torch.Tensor, labels, embedding) -> tuple[torch.Tensor, torch.Tensor | None]:
        if self.condition is None:
            return z, None
        e = self.condition.vectors(labels, embedding)
        return torch.cat([z, e.to(z.dtype)], 1), e


class MlpGenerator(_Generator):
    def __init__(self, config: TrainConfig, classes: int = 0):
        super().__init__()
        self.shape = image_shape(config)
        sizes = [config.latent_size + self._conditioning(classes), *config.g_widths]
        pixels = self.shape[0] * self.shape[1] * self.shape[2]
        self.net = nn.Sequential(*_mlp_layers(sizes, config.dropout), nn.Linear(sizes[-1], pixels), nn.Tanh())

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None,
                embedding: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(self._input(z, labels, embedding)[0]).view(-1, *self.shape)


class MlpDiscriminator(nn.Module):
    def __init__(self, config: TrainConfig, classes: int = 0):
        super().__init__()
        channels, height, width = image_shape(config)
        self.classes = classes
        sizes = [channels * height * width + classes, *config.d_widths]
        self.net = nn.Sequential(*_mlp_layers(sizes, config.dropout), *stddev_layers(config, classes),
                                 nn.Linear(sizes[-1] + stddev_features(config), 1), *_head(config))

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        x = with_one_hot(x, labels, self.classes) if self.classes else x.flatten(1)
        return run_layers(self.net, x, labels).view(-1)


class _ConvGenerator(_Generator):
    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None,
                embedding: torch.Tensor | None = None) -> torch.Tensor:
        x, e = self._input(z, labels, embedding)
        x = x.view(x.shape[0], -1, 1, 1)
        return self.net(x) if e is None else run_layers(self.net, x, e)


class _ConvDiscriminator(nn.Module):
    """A convolutional D: `net` ends with its score layer and head; conditional, a projection D."""

    def _projection(self, config: TrainConfig, classes: int, features: int) -> None:
        self.head = len(_head(config))
        self.projection = projection_embedding(classes, features) if classes else None

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if self.projection is None:
            return run_layers(self.net, x, labels).view(-1)
        return projected(self.net, self.head, self.projection, x, labels)


class DcganGenerator(_ConvGenerator):
    """z → ConvT to 7×7 (28 px) or 4×4 (32, 64 px), then one stride-2 ConvT(k4) per width:
    28 = 7→14→28, 32 = 4→8→16→32, 64 = 4→8→16→32→64 (the DCGAN paper's four strided
    blocks). Batch norm and ReLU between, tanh out, no biases."""

    def __init__(self, config: TrainConfig, classes: int = 0):
        super().__init__()
        widths = list(config.g_widths)
        inputs = config.latent_size + self._conditioning(classes)
        layers = [nn.ConvTranspose2d(inputs, widths[0], dcgan_first_kernel(config.image_size), 1, 0,
                                     bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU(True)]
        for a, b in zip(widths, widths[1:]):
            layers += [nn.ConvTranspose2d(a, b, 4, 2, 1, bias=False), nn.BatchNorm2d(b), nn.ReLU(True)]
        layers += [nn.ConvTranspose2d(widths[-1], config.channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.net = nn.Sequential(*(conditional_norms(layers) if classes else layers))


class DcganDiscriminator(_ConvDiscriminator):
    """The generator mirrored: one stride-2 Conv(k4) per width (batch norm after all but the
    first, unless `d_norm` is spectral), then a 7×7 or 4×4 convolution to one score."""

    def __init__(self, config: TrainConfig, classes: int = 0):
        super().__init__()
        widths = list(config.d_widths)
        layers = [nn.Conv2d(config.channels, widths[0], 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True)]
        for a, b in zip(widths, widths[1:]):
            layers += [nn.Conv2d(a, b, 4, 2, 1, bias=False), *_d_batch_norm(config, b), nn.LeakyReLU(0.2, True)]
        last, features = dcgan_first_kernel(config.image_size), widths[-1] + stddev_features(config)
        layers += [*stddev_layers(config, classes), nn.Conv2d(features, 1, last, 1, 0, bias=False), *_head(config)]
        self.net = nn.Sequential(*layers)
        self._projection(config, classes, features)


class DcganSmallGenerator(_ConvGenerator):
    """z → 3×3 → 6×6 → 13×13 → 28×28 with batch-norm + ReLU blocks and a tanh output."""

    def __init__(self, config: TrainConfig, classes: int = 0):
        super().__init__()
        c1, c2, c3 = config.g_widths
        inputs = config.latent_size + self._conditioning(classes)

        def block(cin, cout, k, s):
            return [nn.ConvTranspose2d(cin, cout, k, s), nn.BatchNorm2d(cout), nn.ReLU(True)]

        layers = [*block(inputs, c1, 3, 2), *block(c1, c2, 4, 1), *block(c2, c3, 3, 2),
                  nn.ConvTranspose2d(c3, config.channels, 4, 2), nn.Tanh()]
        self.net = nn.Sequential(*(conditional_norms(layers) if classes else layers))


class DcganSmallDiscriminator(_ConvDiscriminator):
    def __init__(self, config: TrainConfig, classes: int = 0):
        super().__init__()
        c1, c2, c3 = config.d_widths

        def block(cin, cout, k):
            return [nn.Conv2d(cin, cout, k, 2), *_d_batch_norm(config, cout), nn.LeakyReLU(0.2, True)]

        self.net = nn.Sequential(
            *block(config.channels, c1, 3), *block(c1, c2, 5), *stddev_layers(config, classes),
            *block(c2 + stddev_features(config), c3, 5),
            nn.Flatten(), nn.Linear(c3, 1), *_head(config),
        )
        self._projection(config, classes, c3)


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
        elif isinstance(m, nn.BatchNorm2d) and m.affine:  # a conditional norm's affine is its own
            nn.init.normal_(m.weight, bn_mean, 0.02)
            nn.init.zeros_(m.bias)


def network_classes(config: TrainConfig, classes: int = 0) -> int:
    """How many classes a config's networks are conditioned on: 0 unless `condition` is class;
    then `classes` (the data's), or every built-in set's 10 when not known (a size estimate)."""
    return (classes or DEFAULT_CLASSES) if config.condition == "class" else 0


def build_generator(config: TrainConfig, classes: int = 0) -> nn.Module:
    model = FAMILIES[config.architecture][0](config, network_classes(config, classes))
    init_weights(model, config.weight_init)
    return model


def build_discriminator(config: TrainConfig, classes: int = 0) -> nn.Module:
    model = FAMILIES[config.architecture][1](config, network_classes(config, classes))
    init_weights(model, config.weight_init)
    return _spectral_norm(model) if config.d_norm == "spectral" else model


def with_weights(build: Callable[..., nn.Module], config: TrainConfig, state_dict: dict,
                 device="cpu", classes: int = 0) -> nn.Module:
    """A network made straight from saved weights, built on the meta device first: it draws no
    random initial weights, so loading (evaluation, generation, another thread) never moves
    the random stream a training run depends on."""
    with torch.device("meta"):
        model = build(config, classes)
    model = model.to_empty(device=device)
    model.load_state_dict(state_dict)
    return model


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
