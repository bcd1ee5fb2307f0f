"""A search space: for each searched field (or fields set together), a range or a list of values,
parsed from the user's text and validated by the config before any study exists.

    lr_g=log:1e-4:3e-3            a range searched on a log scale
    beta1_g=0:0.5                 a range (whole numbers for a whole-number field)
    batch_size=32,64,128          a list (the only kind a grid takes)
    latent_size+lr_g=64/2e-4,128/1e-4   fields set together, as a grid's paired axis

A grid's axes (`--set`, the Sweeps tab's grid rows, a built-in study) are parsed with `lists`:
every text is a list, even one whose value holds a colon (a path), and problems name `--set`.

A dimension turns into one Optuna parameter named after its fields; a list whose values are
plain numbers or words is searched over those values (so plots and importances show them),
anything else (widths, paired fields) over the values' text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from workbench.core.config import ConfigError, FieldError, TrainConfig, coerce, spec_of
from workbench.core.sweeps.grid import SYNTAX as LIST_SYNTAX
from workbench.core.sweeps.grid import Axis, parse_axis, repeated_fields

SYNTAX = f"FIELD=log:LOW:HIGH, FIELD=LOW:HIGH, or a list: {LIST_SYNTAX}"
RANGE_KINDS = ("int", "float")


@dataclass(frozen=True)
class Dimension:
    """One searched parameter: a range (`low`, `high`, `log`) of one field, or a list (`axis`)."""

    text: str
    fields: tuple[str, ...]
    low: float | None = None
    high: float | None = None
    log: bool = False
    axis: Axis | None = None

    @property
    def name(self) -> str:
        return "+".join(self.fields)

    @property
    def is_list(self) -> bool:
        return self.axis is not None

    def choices(self) -> list:
        """A list's values as Optuna stores them: plain values for one scalar field, else text."""
        if self._plain():
            return [p[0] for p in self.axis.points]
        return [_point_text(p) for p in self.axis.points]

    def _plain(self) -> bool:
        return len(self.fields) == 1 and all(isinstance(p[0], (int, float, str, bool)) for p in self.axis.points)

    def distribution(self):
        import optuna

        if self.is_list:
            return optuna.distributions.CategoricalDistribution(self.choices())
        if spec_of(self.fields[0]).kind == "int":
            return optuna.distributions.IntDistribution(int(self.low), int(self.high), log=self.log)
        return optuna.distributions.FloatDistribution(self.low, self.high, log=self.log)

    def suggest(self, trial) -> dict:
        """The config changes a trial's value of this dimension makes."""
        if self.is_list:
            value = trial.suggest_categorical(self.name, self.choices())
        elif spec_of(self.fields[0]).kind == "int":
            value = trial.suggest_int(self.name, int(self.low), int(self.high), log=self.log)
        else:
            value = trial.suggest_float(self.name, self.low, self.high, log=self.log)
        return self.changes(value)

    def changes(self, value) -> dict:
        if not self.is_list:
            return {self.fields[0]: value}
        index = self.choices().index(value)
        return self.axis.changes(index)


def _point_text(point: tuple) -> str:
    return "/".join(",".join(str(x) for x in v) if isinstance(v, list) else f"{v:g}" if isinstance(v, float)
                    else str(v) for v in point)


def parse_dimension(text: str, base: TrainConfig, lists: bool = False) -> tuple[Dimension | None, list[FieldError]]:
    """A dimension from one --space text (with `lists`, one --set text), checked against the
    base config; problems returned."""
    if lists:
        return _list_dimension(text, base, lambda e: e)
    name, sep, rest = text.partition("=")
    name, rest = name.strip(), rest.strip()
    if not sep or not name or not rest:
        return None, [FieldError("--space", text, SYNTAX)]
    parts = rest.split(":")
    if len(parts) == 1 or "+" in name:
        return _list_dimension(text, base, _as_space)
    log = parts[0].strip().lower() == "log"
    bounds = parts[1:] if log else parts
    if len(bounds) != 2:
        return None, [FieldError("--space", text, SYNTAX)]
    axis, errors = parse_axis(f"{name}={bounds[0]},{bounds[1]}")  # the field's own checks on both ends
    if axis is None:
        return None, [_as_space(e) for e in errors]
    kind = spec_of(name).kind
    if kind not in RANGE_KINDS:
        return None, [FieldError(name, rest, f"a list of values (a range needs a number field; {SYNTAX})")]
    low, high = (coerce(name, p[0]) for p in axis.points)
    if not low < high:
        return None, [FieldError(name, rest, "a range LOW:HIGH with LOW below HIGH")]
    if log and low <= 0:
        return None, [FieldError(name, rest, "a log range above 0")]
    errors = _point_errors(base, [{name: low}, {name: high}])
    if errors:
        return None, errors
    return Dimension(text, (name,), float(low) if kind == "float" else low,
                     float(high) if kind == "float" else high, log), []


def _list_dimension(text: str, base: TrainConfig, word) -> tuple[Dimension | None, list[FieldError]]:
    axis, errors = parse_axis(text)
    if axis is None:
        return None, [word(e) for e in errors]
    errors = _point_errors(base, [axis.changes(i) for i in range(len(axis.points))])
    return (Dimension(text, axis.fields, axis=axis), []) if not errors else (None, errors)


def _as_space(error: FieldError) -> FieldError:
    return FieldError("--space", error.value, SYNTAX) if error.field == "--set" else error


def _point_errors(base: TrainConfig, changes: list[dict]) -> list[FieldError]:
    """What the config says about each value on top of the base (a width list an architecture
    rejects), each problem once."""
    seen: dict[str, FieldError] = {}
    for change in changes:
        try:
            TrainConfig.from_changes(base.to_dict(), change)
        except ConfigError as e:
            for error in e.errors:
                seen.setdefault(str(error), error)
    return list(seen.values())


def parse_space(texts: list[str], base: TrainConfig, lists: bool = False) -> list[Dimension]:
    """Every --space (with `lists`, every --set) at once; raises ConfigError listing every problem."""
    dimensions, errors = check_space(texts, base, lists)
    if errors:
        raise ConfigError(errors)
    return dimensions


def check_space(texts: list[str], base: TrainConfig, lists: bool = False) -> tuple[list[Dimension], list[FieldError]]:
    """(the dimensions that parse, every problem): a plan checks the good ones further."""
    dimensions, errors = [], []
    if not texts:
        errors.append(FieldError("--set", "", f"at least one field with at least one value ({LIST_SYNTAX})") if lists
                      else FieldError("--space", "", f"at least one searched field ({SYNTAX})"))
    for text in texts:
        dimension, problems = parse_dimension(text, base, lists)
        errors.extend(problems)
        if dimension:
            dimensions.append(dimension)
    again = "set by one --set only" if lists else "searched by one --space only"
    return dimensions, errors + repeated_fields(texts, again)


def grid_size(dimensions: list[Dimension]) -> int | None:
    """Points in the dimensions' product; None when one is a range (a grid needs lists)."""
    if not all(d.is_list for d in dimensions):
        return None
    return math.prod(len(d.axis.points) for d in dimensions)
