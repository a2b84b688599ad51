"""Statistics for the reports: percentiles and a seeded percentile bootstrap of the mean."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["bootstrap_ci", "percentile"]


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0-100) with linear interpolation, as numpy's default. Raises on no values."""
    if len(values) == 0:
        raise ValueError("percentile of an empty sequence")
    if not 0.0 <= p <= 100.0:
        raise ValueError(f"p must be within [0, 100], got {p}")
    return float(np.percentile(np.asarray(values, dtype=float), p))


def bootstrap_ci(
    values: Sequence[float] | Sequence[bool],
    n_resamples: int = 2000,
    alpha: float = 0.05,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile-bootstrap ``(low, high)`` confidence interval for the mean of ``values`` (0/1 or floats).

    Deterministic for a given ``seed``. Raises ``ValueError`` on no values or an ``alpha`` outside (0, 1).
    """
    if len(values) == 0:
        raise ValueError("bootstrap_ci of an empty sequence")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be within (0, 1), got {alpha}")
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be >= 1, got {n_resamples}")
    data = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    n = data.size
    means = np.empty(n_resamples, dtype=float)
    block = max(1, min(n_resamples, 2_000_000 // n))  # bound memory for long inputs
    for start in range(0, n_resamples, block):
        stop = min(n_resamples, start + block)
        idx = rng.integers(0, n, size=(stop - start, n))
        means[start:stop] = data[idx].mean(axis=1)
    low, high = np.quantile(means, [alpha / 2.0, 1.0 - alpha / 2.0])
    return float(low), float(high)
