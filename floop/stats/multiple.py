"""Holm-Bonferroni adjustment of p-values across arms and goal metrics.

Holm (1979), "A simple sequentially rejective multiple test procedure": with the m p-values
sorted ascending p_(1) <= ... <= p_(m), the adjusted value of the k-th is
max over j <= k of min(1, (m - j + 1) p_(j)); rejecting where adjusted < alpha controls the
family-wise error rate at alpha. Values are returned in the input order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def holm_bonferroni(p_values: Sequence[float]) -> list[float]:
    for p in p_values:
        if math.isnan(p) or not 0 <= p <= 1:
            raise ValueError(f"p-values must lie in [0, 1], got {p}")
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted
