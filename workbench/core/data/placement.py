"""Where the training images live: on the GPU when they fit, else in pinned host memory; and
the one dataset a process keeps resident between runs.

The images are uint8 (a quarter of float32), so most datasets fit in device memory, which makes
every batch a device-side gather with no copy at all. When they do not fit with room left for
the networks, pinned host memory lets each batch's copy overlap the previous step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import torch

GIB = 1 << 30
#: device memory left free for networks, activations and the allocator's slack
MIN_HEADROOM = int(1.5 * GIB)
HEADROOM_FRACTION = 0.2

T = TypeVar("T")


@dataclass(frozen=True)
class Placement:
    where: str  # "device" | "pinned"
    reason: str


def choose_placement(data_bytes: int, free_bytes: int, total_bytes: int) -> Placement:
    """Device memory when the data fits beside a headroom of max(1.5 GiB, 20% of the card)
    for training; pinned host memory otherwise."""
    headroom = max(MIN_HEADROOM, int(total_bytes * HEADROOM_FRACTION))
    gib = lambda n: f"{n / GIB:.2f} GiB"  # noqa: E731
    if data_bytes + headroom <= free_bytes:
        return Placement("device", f"{gib(data_bytes)} of images fit in {gib(free_bytes)} free on the device")
    return Placement("pinned", f"{gib(data_bytes)} of images and {gib(headroom)} for training do not fit in "
                               f"{gib(free_bytes)} free on the device: pinned host memory")


def place(images: torch.Tensor, device: torch.device | str) -> torch.Tensor:
    """`images` where training on `device` reads them: the same tensor on the CPU, a device copy
    on CUDA when it fits (`torch.cuda.mem_get_info`), else a pinned host copy."""
    device = torch.device(device)
    if device.type != "cuda":
        return images.to(device)
    free, total = torch.cuda.mem_get_info(device)
    if choose_placement(images.numel() * images.element_size(), free, total).where == "device":
        return images.to(device)
    return images if images.is_pinned() else images.pin_memory()


_resident: dict[tuple, object] = {}
_made = [0]  # how many times `resident` made its value: loads, as against reuses


def resident(key: tuple, make: Callable[[], T]) -> T:
    """`make()`'s value, kept for the next run with the same key; at most one is kept, and the
    previous one is dropped before the new one is made so two datasets never coexist."""
    if key not in _resident:
        _resident.clear()
        _resident[key] = make()
        _made[0] += 1
    return _resident[key]  # type: ignore[return-value]


def loads() -> int:
    """How many datasets this process has loaded (not found kept): a start that raises it loaded
    its images, the cold start a sweep's time estimate counts once."""
    return _made[0]


def kept(key: tuple):
    """The value kept under `key`, or None: for a reader (evaluating another run) that may use
    what training keeps but must not replace it."""
    return _resident.get(key)


def forget_resident() -> None:
    """Drop the kept dataset (tests; freeing memory)."""
    _resident.clear()
