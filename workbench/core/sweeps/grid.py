"""A grid's axes: lists of values for config fields, parsed from the user's text (`--set`, a
list in `--space`, the Sweeps tab's rows, a built-in study). `space` turns each axis into a grid
dimension of a study; a grid is the product of its axes.

An axis usually sets one field (`batch_size=64,128,256`); it may set several fields together
(`latent_size+lr_g=64/2e-4,128/1e-4`), so a study can pair values instead of crossing them.
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.core.config import FieldError, TrainConfig, coerce, field_names, spec_of

DEFAULT_EVAL_SAMPLES = 2000  # sweeps rank by quality, so their runs are scored unless told not to
MAX_RUNS = 100  # a grid larger than this is almost always a typo, and would take days on a CPU
SYNTAX = ("FIELD=V1,V2,... or FIELD+FIELD=A/B,C/D,... (use ; between values that contain commas, "
          "e.g. g_widths=64,32;128,64)")


@dataclass(frozen=True)
class Axis:
    """Fields set together, and the values they take: one tuple per point."""

    fields: tuple[str, ...]
    points: tuple[tuple, ...]

    def changes(self, index: int) -> dict:
        return dict(zip(self.fields, self.points[index]))

    @classmethod
    def from_dict(cls, data: dict) -> Axis:
        return cls(tuple(data["fields"]), tuple(tuple(p) for p in data["values"]))

    def text(self) -> str:
        """The axis as the CLI's --set takes it."""
        sep = ";" if any(isinstance(v, list) for p in self.points for v in p) else ","
        return "+".join(self.fields) + "=" + sep.join("/".join(_show(v) for v in p) for p in self.points)


def label(changes: dict) -> str:
    """A point's values as the tables show them: `batch_size=64 lr_g=0.0001`."""
    return " ".join(f"{name}={_show(value)}" for name, value in changes.items())


def _show(value) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def parse_axis(text: str) -> tuple[Axis | None, list[FieldError]]:
    """An axis from `FIELD=V1,V2` or `A+B=a1/b1,a2/b2`; every problem is returned, none raised."""
    names_text, sep, values_text = text.partition("=")
    if not sep or not names_text.strip() or not values_text.strip():
        return None, [FieldError("--set", text, SYNTAX)]
    names = tuple(n.strip() for n in names_text.split("+"))
    known = field_names()
    errors = [FieldError(n or "(empty)", text, "a TrainConfig field; known fields: " + ", ".join(known))
              for n in names if n not in known]
    if errors:
        return None, errors
    raw_points = [p for p in values_text.split(";" if ";" in values_text else ",")]
    points = []
    for raw in raw_points:
        parts = raw.split("/") if len(names) > 1 else [raw]  # a lone field's value may be a path
        if len(parts) != len(names):
            errors.append(FieldError("+".join(names), raw.strip(),
                                     f"{len(names)} values separated by / ({SYNTAX})"))
            continue
        point = []
        for name, part in zip(names, parts):
            try:
                point.append(coerce(name, _parse_value(name, part.strip())))
            except FieldError as e:
                errors.append(e)
        points.append(tuple(point))
    if errors:
        return None, errors
    return Axis(names, tuple(points)), []


def _parse_value(name: str, text: str):
    """CLI text to what `coerce` accepts; lists (widths) take commas or spaces inside a value."""
    return text if spec_of(name).kind != "int_list" else text.replace(",", " ")


def repeated_fields(texts: list[str], allowed: str) -> list[FieldError]:
    """A problem for each field that more than one of `texts` (`FIELD[+FIELD…]=…`) names again."""
    errors, seen = [], set()
    for text in texts:
        for name in (n.strip() for n in text.partition("=")[0].split("+")):
            if name in seen:
                errors.append(FieldError(name, text, allowed))
            seen.add(name)
    return errors


def scored_base(base: TrainConfig, searched=(), keep_off: bool = False) -> TrainConfig:
    """The base with evaluation on (DEFAULT_EVAL_SAMPLES) when nothing chose a sample count: a
    sweep ranks its runs by quality. `searched`: axes or dimensions (anything with `fields`);
    `keep_off` when the user set eval_samples to 0 explicitly."""
    if base.eval_samples or keep_off or any("eval_samples" in a.fields for a in searched):
        return base
    return base.with_changes(eval_samples=DEFAULT_EVAL_SAMPLES)
