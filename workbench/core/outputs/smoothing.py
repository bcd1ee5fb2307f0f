"""Exponential moving average for loss curves, debiased so early values are not pulled toward
the first point (the correction Adam and TensorBoard use)."""

from __future__ import annotations

import numpy as np


def ema(values, weight: float) -> np.ndarray:
    """Smooth `values` with weight in [0, 1): 0 returns them unchanged, 0.99 is very smooth.

    Debiased: s_t = m_t / (1 - weight**t) with m_t = weight*m_{t-1} + (1-weight)*x_t, m_0 = 0,
    so a constant series stays constant from its first point. NaNs are passed through.
    """
    x = np.asarray(values, dtype=float)
    if weight <= 0 or x.size == 0:
        return x.copy()
    if not 0 <= weight < 1:
        raise ValueError(f"smoothing weight must be in [0, 1), got {weight}")
    out = np.empty_like(x)
    m, steps = 0.0, 0
    for i, v in enumerate(x):
        if not np.isfinite(v):
            out[i] = v
            continue
        steps += 1
        m = weight * m + (1.0 - weight) * v
        out[i] = m / (1.0 - weight ** steps)
    return out
