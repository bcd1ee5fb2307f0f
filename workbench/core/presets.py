"""Presets: exact reproductions of the reference systems our users come from, plus the
recommended default, tuned with the quality measure for a first run on a laptop CPU."""

from __future__ import annotations

from dataclasses import dataclass

from workbench.core.config import TrainConfig


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    config: TrainConfig


DEFAULT_PRESET = "cpu-fast"

PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "cpu-fast",
            "Recommended first run: a narrow DCGAN tuned for a laptop CPU; recognisable digits of every "
            "class within minutes, scored after every epoch.",
            TrainConfig(
                architecture="dcgan", g_widths=[64, 32], d_widths=[32, 64], dropout=0.0,
                latent_size=100, latent_distribution="normal", weight_init="default", loss="bce",
                lr_g=0.0005, lr_d=0.0005, beta1_g=0.5, beta2_g=0.999, beta1_d=0.5, beta2_d=0.999,
                batch_size=64, epochs=8, image_range="symmetric", eval_samples=2000,
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
    )
}


def preset_config(name: str) -> TrainConfig:
    """A fresh copy of a preset's config; unknown names raise KeyError with the known ones."""
    try:
        return TrainConfig.from_dict(PRESETS[name].config.to_dict())
    except KeyError:
        raise KeyError(f"unknown preset {name!r}; known presets: {', '.join(PRESETS)}") from None


def matching_preset(config: TrainConfig) -> str | None:
    """The preset a config equals, ignoring where data lives, run length caps, seed and device."""
    ignore = {"data_dir", "max_batches", "seed", "device", "epochs", "grid_size", "keep_checkpoint_every",
              "eval_samples", "tensorboard"}
    mine = {k: v for k, v in config.to_dict().items() if k not in ignore}
    for name, preset in PRESETS.items():
        theirs = {k: v for k, v in preset.config.to_dict().items() if k not in ignore}
        if mine == theirs:
            return name
    return None
