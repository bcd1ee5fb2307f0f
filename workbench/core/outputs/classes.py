"""Asking a conditional run's generator (`condition: class`) for classes: one class, every class
(one row per class, the same latent points in every row), or a morph between two classes at
fixed latent points, made by interpolating the two classes' learned embeddings in a straight
line (the generator's conditional batch norms are linear in the embedding, so the morph is
smooth). The `sample` command and the Generate window both ask through here."""

from __future__ import annotations

import torch

from workbench.core.outputs.generation import LoadedGenerator, seed_latents


def class_number(classes: list[str], asked: str | int, option: str = "class") -> int:
    """The label of a class given by name or number; ValueError naming the option and the classes."""
    if not classes:
        raise ValueError(f"{option}: the run is not conditional (condition: none); it draws no chosen class")
    text = str(asked).strip()
    if text in classes:
        return classes.index(text)
    if text.isdigit() and int(text) < len(classes):
        return int(text)
    shown = ", ".join(f"{i} {name}" if name != str(i) else name for i, name in enumerate(classes))
    raise ValueError(f"{option}: {asked!r} is not a class of this run; expected a class name or number: {shown}")


def every_class(loaded: LoadedGenerator, per_class: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(latent points, labels): a row per class, each the same `per_class` points from `seed`."""
    classes = len(loaded.classes)
    latents = seed_latents(loaded.config, per_class, seed).repeat(classes, 1)
    return latents, torch.arange(classes).repeat_interleave(per_class)


def morph(loaded: LoadedGenerator, a: int, b: int, steps: int, rows: int, seed: int
          ) -> tuple[torch.Tensor, torch.Tensor]:
    """(latent points, class embeddings): `rows` rows of `steps` images, row r at `seed`'s r-th
    point throughout, its embedding going from class a's to class b's (both ends exact)."""
    if steps < 2:
        raise ValueError(f"steps: {steps} is not allowed; expected at least 2")
    table = loaded.generator.condition.table.weight.detach().cpu()
    t = torch.linspace(0, 1, steps)[:, None]
    line = torch.lerp(table[a].expand(steps, -1), table[b].expand(steps, -1), t)
    line[0], line[-1] = table[a], table[b]
    latents = seed_latents(loaded.config, rows, seed).repeat_interleave(steps, 0)
    return latents, line.repeat(rows, 1)
