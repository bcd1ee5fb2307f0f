"""Presets: exact reproductions of the reference systems our users come from, plus the
recommended default, tuned with the quality measure for a first run on a laptop CPU, its
class-conditional twin, and the DCGAN paper's settings for colour images (CIFAR-10 at 32 px,
the user's own folder at 64 px)."""

from __future__ import annotations

import copy
from dataclasses import dataclass

from workbench.core.config import TrainConfig


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    config: TrainConfig


DEFAULT_PRESET = "cpu-quality"
#: the default for image sizes the default's networks cannot draw (they draw 28 px only)
FALLBACK_PRESET = "cpu-fast"

PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "cpu-quality",
            "Recommended first run: the small DCGAN at batch 64, no rotation, generator averaging; the best "
            "digits after 5 minutes on a laptop CPU over three seeds. Scored every epoch, best epoch kept.",
            TrainConfig(
                architecture="dcgan-small", g_widths=[256, 128, 64], d_widths=[16, 32, 64], dropout=0.0,
                latent_size=64, latent_distribution="normal", weight_init="normal-0.02", loss="bce-logits",
                lr_g=0.0002, lr_d=0.0002, beta1_g=0.5, beta2_g=0.99, beta1_d=0.5, beta2_d=0.99,
                batch_size=64, epochs=16, image_range="unit", rotation_degrees=0.0, eval_samples=2000,
                g_ema=0.999,
            ),
        ),
        Preset(
            "cpu-conditional",
            "Draw the class you ask for: the recommended first run's networks with class conditioning (class "
            "embedding and conditional batch norm in G, a projection discriminator with spectral norm and the "
            "spread within each class of the batch, hinge loss), MNIST on a laptop CPU. Scored every epoch, "
            "class accuracy included; best epoch kept.",
            TrainConfig(
                condition="class", d_norm="spectral", d_stddev=True,
                architecture="dcgan-small", g_widths=[256, 128, 64], d_widths=[16, 32, 64], dropout=0.0,
                latent_size=64, latent_distribution="normal", weight_init="normal-0.02", loss="hinge",
                lr_g=0.0002, lr_d=0.0002, beta1_g=0.5, beta2_g=0.99, beta1_d=0.5, beta2_d=0.99,
                batch_size=64, epochs=16, image_range="unit", rotation_degrees=0.0, eval_samples=2000,
                g_ema=0.999,
            ),
        ),
        Preset(
            "cpu-fast",
            "The previous default: a narrow DCGAN for a laptop CPU that starts fast "
            "(recognisable digits of every class within 2 minutes) but stops improving after about 8 epochs.",
            TrainConfig(
                architecture="dcgan", g_widths=[64, 32], d_widths=[32, 64], dropout=0.0,
                latent_size=100, latent_distribution="normal", weight_init="default", loss="bce",
                lr_g=0.0005, lr_d=0.0005, beta1_g=0.0, beta2_g=0.999, beta1_d=0.0, beta2_d=0.999,
                batch_size=64, epochs=12, image_range="symmetric", eval_samples=2000,
            ),
        ),
        Preset(
            "mlp-dropout",
            "4-layer MLPs, LeakyReLU and dropout 0.3, uniform noise, BCE-with-logits, Adam 0.002, batch 64.",
            TrainConfig(
                architecture="mlp", g_widths=[32, 64, 128], d_widths=[128, 64, 32], dropout=0.3,
                latent_size=100, latent_distribution="uniform", weight_init="default", loss="bce-logits",
                lr_g=0.002, lr_d=0.002, beta1_g=0.9, beta2_g=0.999, beta1_d=0.9, beta2_d=0.999,
                batch_size=64, epochs=100, image_range="symmetric",
            ),
        ),
        Preset(
            "mlp-small",
            "One hidden layer of 128 in both nets, Gaussian noise, sigmoid + BCE, Adam 0.0002, batch 128.",
            TrainConfig(
                architecture="mlp", g_widths=[128], d_widths=[128], dropout=0.0,
                latent_size=100, latent_distribution="normal", weight_init="default", loss="bce",
                lr_g=0.0002, lr_d=0.0002, beta1_g=0.9, beta2_g=0.999, beta1_d=0.9, beta2_d=0.999,
                batch_size=128, epochs=50, image_range="symmetric",
            ),
        ),
        Preset(
            "dcgan",
            "DCGAN with 7×7 transposed convolutions, batch norm, no biases, BCE, Adam 0.0002 β=(0.5, 0.999).",
            TrainConfig(
                architecture="dcgan", g_widths=[128, 64], d_widths=[64, 128], dropout=0.0,
                latent_size=100, latent_distribution="normal", weight_init="default", loss="bce",
                lr_g=0.0002, lr_d=0.0002, beta1_g=0.5, beta2_g=0.999, beta1_d=0.5, beta2_d=0.999,
                batch_size=128, epochs=10, image_range="symmetric",
            ),
        ),
        Preset(
            "dcgan-small",
            "Small DCGAN, z=64, N(0, 0.02) init, BCE-with-logits, β=(0.5, 0.99), ±20° rotation, images in [0, 1].",
            TrainConfig(
                architecture="dcgan-small", g_widths=[256, 128, 64], d_widths=[16, 32, 64], dropout=0.0,
                latent_size=64, latent_distribution="normal", weight_init="normal-0.02", loss="bce-logits",
                lr_g=0.0002, lr_d=0.0002, beta1_g=0.5, beta2_g=0.99, beta1_d=0.5, beta2_d=0.99,
                batch_size=128, epochs=25, image_range="unit", rotation_degrees=20.0,
            ),
        ),
        Preset(
            "cifar10-dcgan",
            "CIFAR-10 in colour at 32×32: DCGAN paper's guidance (4×4 start, three strided blocks, "
            "N(0, 0.02) init), BCE, Adam 0.0002 β1 0.5, batch 128.",
            TrainConfig(
                dataset="cifar10", channels=3, image_size=32,
                architecture="dcgan", g_widths=[256, 128, 64], d_widths=[64, 128, 256], dropout=0.0,
                latent_size=100, latent_distribution="normal", weight_init="dcgan", loss="bce",
                lr_g=0.0002, lr_d=0.0002, beta1_g=0.5, beta2_g=0.999, beta1_d=0.5, beta2_d=0.999,
                batch_size=128, epochs=25, image_range="symmetric",
            ),
        ),
        Preset(
            "folder-dcgan64",
            "Your own images in colour at 64×64 (choose the image folder): the DCGAN paper's "
            "architecture (four strided blocks), BCE, Adam 0.0002 β1 0.5, batch 128.",
            TrainConfig(
                dataset="folder", channels=3, image_size=64,
                architecture="dcgan", g_widths=[512, 256, 128, 64], d_widths=[64, 128, 256, 512], dropout=0.0,
                latent_size=100, latent_distribution="normal", weight_init="dcgan", loss="bce",
                lr_g=0.0002, lr_d=0.0002, beta1_g=0.5, beta2_g=0.999, beta1_d=0.5, beta2_d=0.999,
                batch_size=128, epochs=25, image_range="symmetric",
            ),
        ),
    )
}


def preset_config(name: str) -> TrainConfig:
    """A fresh copy of a preset's config; unknown names raise KeyError with the known ones.
    Not validated here: folder-dcgan64 needs the user's image folder before it can run."""
    try:
        return copy.deepcopy(PRESETS[name].config)
    except KeyError:
        raise KeyError(f"unknown preset {name!r}; known presets: {', '.join(PRESETS)}") from None


def matching_preset(config: TrainConfig) -> str | None:
    """The preset a config equals, ignoring where data lives, run length caps, seed and device."""
    ignore = {"data_dir", "image_folder", "max_batches", "seed", "device", "epochs", "grid_size",
              "keep_checkpoint_every", "eval_samples", "tensorboard"}
    mine = {k: v for k, v in config.to_dict().items() if k not in ignore}
    for name, preset in PRESETS.items():
        theirs = {k: v for k, v in preset.config.to_dict().items() if k not in ignore}
        if mine == theirs:
            return name
    return None
