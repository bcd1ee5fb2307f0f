"""Built-in studies: grid sweeps our users ran by hand, ready by name (`sweep --study NAME`, the
Sweeps tab's grid); each is trained as a grid study like any `--set` grid."""

from __future__ import annotations

from dataclasses import dataclass, field

from workbench.core.presets import preset_config
from workbench.core.sweeps.grid import Axis


@dataclass(frozen=True)
class Study:
    name: str
    description: str
    preset: str
    axes: tuple[Axis, ...]
    overrides: dict = field(default_factory=dict)  # base-config changes on top of the preset

    def base_values(self) -> dict:
        """The base config's values: the preset's, with the study's changes."""
        return preset_config(self.preset).to_dict() | self.overrides

    def set_texts(self) -> list[str]:
        """The axes as `--set` takes them: the grid study's space."""
        return [axis.text() for axis in self.axes]


STUDIES: dict[str, Study] = {
    s.name: s
    for s in (
        Study(
            "dcgan-small-batch-latent-lr",
            "The six-configuration study on dcgan-small: batch size 64, 128 and 256, each with "
            "z=64 at learning rate 2e-4 and with z=128 at 1e-4; 5 epochs each, scored every epoch.",
            "dcgan-small",
            (
                Axis(("batch_size",), ((64,), (128,), (256,))),
                Axis(("latent_size", "lr_g", "lr_d"), ((64, 0.0002, 0.0002), (128, 0.0001, 0.0001))),
            ),
            {"epochs": 5, "eval_samples": 2000},
        ),
    )
}


def study(name: str) -> Study:
    try:
        return STUDIES[name]
    except KeyError:
        raise KeyError(f"unknown study {name!r}; built-in studies: {', '.join(STUDIES)}") from None
