"""Counts in words, singular for exactly one: "1 epoch", "2 epochs", "1,200 images". Every
message that prints a count of something says it through `count`."""

from __future__ import annotations


def count(n: int | float, noun: str, plural: str | None = None) -> str:
    """`n` and its noun: count(1, "epoch") → "1 epoch", count(2000, "image") → "2,000 images",
    count(2, "process", "processes") → "2 processes"."""
    word = noun if n == 1 else (plural or noun + "s")
    number = f"{n:,}" if isinstance(n, int) and not isinstance(n, bool) else f"{n:g}"
    return f"{number} {word}"
