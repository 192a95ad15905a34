"""Sufficient statistics of one arm for a ratio metric over randomization units.

A ratio metric is `sum(num) / sum(den)` over the units of an arm, e.g. successes over tasks with
an outcome, with the user as the unit. Its per-unit variance comes from the delta method, as in
gbstats 0.8.0 (`gbstats/models/statistics.py`, `RatioStatistic`): with sample moments over
units (divisor n - 1), mean numerator `m`, mean denominator `d`,

    var(ratio) = var(num) / d^2 - 2 cov(num, den) m / d^3 + var(den) m^2 / d^4

and the standard error of the arm's ratio is sqrt(var / n). A plain mean metric is the ratio
whose denominator is 1 for every unit (`RatioStats.for_mean`); its variance is then var(num).

For CUPED the same sums are kept for the pre-period (`pre`), plus the four post x pre cross
products; units not seen before the start enter the pre-period sums with numerator and
denominator 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np


def sample_variance(n: int, total: float, total_sq: float) -> float:
    """Unbiased sample variance from sums (gbstats `SampleMeanStatistic.variance`); 0 if n <= 1."""
    if n <= 1:
        return 0.0
    return (total_sq - total * total / n) / (n - 1)


def sample_covariance(n: int, total_x: float, total_y: float, total_xy: float) -> float:
    """Unbiased sample covariance from sums (gbstats `RatioStatistic.covariance`); 0 if n <= 1."""
    if n <= 1:
        return 0.0
    return (total_xy - total_x * total_y / n) / (n - 1)


@dataclass(frozen=True)
class RatioStats:
    """One arm: units `n` and sums over units of numerator, denominator, squares, products.

    `pre` holds the pre-period sums of the same ratio (None when no unit has pre-period data);
    its `n` counts the units seen before the start and is informational: the estimator divides
    by the arm's `n`, because unseen units enter every pre-period sum with zeros. The
    `*_pre_*_sum` fields are the post x pre cross products over units (e.g. `num_pre_den_sum` =
    sum of post numerator x pre denominator) needed by the regression adjustment.
    """

    n: int
    num_sum: float
    num_sum_sq: float
    den_sum: float
    den_sum_sq: float
    num_den_sum: float
    pre: RatioStats | None = None
    num_pre_num_sum: float = 0.0
    num_pre_den_sum: float = 0.0
    den_pre_num_sum: float = 0.0
    den_pre_den_sum: float = 0.0

    def __post_init__(self) -> None:
        # Sums may arrive as Decimal, numpy or HUGEINT-sized ints from the warehouse: store
        # plain floats (n as int) so the arithmetic below is float arithmetic.
        object.__setattr__(self, "n", int(self.n))
        if self.n < 0:
            raise ValueError(f"RatioStats.n must be >= 0, got {self.n}")
        for f in fields(self):
            if f.name in ("n", "pre"):
                continue
            value = float(getattr(self, f.name))
            if not math.isfinite(value):
                raise ValueError(f"RatioStats.{f.name} must be finite, got {value}")
            object.__setattr__(self, f.name, value)
        if self.pre is not None and self.pre.pre is not None:
            raise ValueError("RatioStats.pre must not have a pre-period of its own")

    @classmethod
    def for_mean(
        cls,
        n: int,
        total: float,
        total_sq: float,
        *,
        pre_total: float | None = None,
        pre_total_sq: float = 0.0,
        post_pre_sum: float = 0.0,
    ) -> RatioStats:
        """A mean metric over units (gbstats `mean` / `mean_ra`) as a ratio with denominator 1.

        With CUPED, `pre_total` etc. are sums over all `n` units of the pre-period covariate
        (0 for units without one) and `post_pre_sum` is sum of value x covariate.
        """
        pre = None
        if pre_total is not None:
            pre = cls(n, pre_total, pre_total_sq, float(n), float(n), pre_total)
        return cls(
            n, total, total_sq, float(n), float(n), total, pre=pre,
            num_pre_num_sum=post_pre_sum, num_pre_den_sum=total if pre else 0.0,
            den_pre_num_sum=pre_total or 0.0, den_pre_den_sum=float(n) if pre else 0.0,
        )

    @classmethod
    def from_units(
        cls,
        num: Sequence[float],
        den: Sequence[float],
        pre_num: Sequence[float] | None = None,
        pre_den: Sequence[float] | None = None,
    ) -> RatioStats:
        """The sums of per-unit values (tests and simulations; the warehouse sums in SQL).

        `pre_num` / `pre_den` give every unit's pre-period values, 0 / 0 for units not seen
        before the start; a unit counts as seen when its pre-period denominator is not 0.
        """
        m = np.asarray(num, dtype=float)
        d = np.asarray(den, dtype=float)
        if m.shape != d.shape or m.ndim != 1:
            raise ValueError("num and den must be 1-d sequences of the same length")
        post = {
            "n": int(m.size), "num_sum": float(m.sum()), "num_sum_sq": float(m @ m),
            "den_sum": float(d.sum()), "den_sum_sq": float(d @ d), "num_den_sum": float(m @ d),
        }
        if pre_num is None or pre_den is None:
            return cls(**post)
        pm = np.asarray(pre_num, dtype=float)
        pd_ = np.asarray(pre_den, dtype=float)
        if pm.shape != m.shape or pd_.shape != m.shape:
            raise ValueError("pre-period values must be given for every unit (0 when unseen)")
        seen = int(np.count_nonzero(pd_))
        if seen == 0:
            return cls(**post)
        pre = cls(seen, float(pm.sum()), float(pm @ pm), float(pd_.sum()), float(pd_ @ pd_),
                  float(pm @ pd_))
        return cls(**post, pre=pre, num_pre_num_sum=float(m @ pm),
                   num_pre_den_sum=float(m @ pd_), den_pre_num_sum=float(d @ pm),
                   den_pre_den_sum=float(d @ pd_))

    def __add__(self, other: RatioStats) -> RatioStats:
        """Pooled sums of two arms (CUPED estimates its coefficient on the pooled data)."""
        pre = None
        if self.pre is not None and other.pre is not None:
            pre = self.pre + other.pre
        values = {
            f.name: getattr(self, f.name) + getattr(other, f.name)
            for f in fields(self) if f.name != "pre"
        }
        return RatioStats(**values, pre=pre)

    @property
    def num_mean(self) -> float:
        return self.num_sum / self.n if self.n else 0.0

    @property
    def den_mean(self) -> float:
        return self.den_sum / self.n if self.n else 0.0

    @property
    def mean(self) -> float:
        """The ratio sum(num) / sum(den); 0 when the denominator sums to 0 (as gbstats)."""
        return self.num_sum / self.den_sum if self.den_sum else 0.0

    @property
    def variance(self) -> float:
        """Per-unit delta-method variance of the ratio (module docstring); 0 when undefined."""
        m, d = self.num_mean, self.den_mean
        if d == 0 or self.n <= 1:
            return 0.0
        var_m = sample_variance(self.n, self.num_sum, self.num_sum_sq)
        var_d = sample_variance(self.n, self.den_sum, self.den_sum_sq)
        cov = sample_covariance(self.n, self.num_sum, self.den_sum, self.num_den_sum)
        return var_m / d**2 - 2 * cov * m / d**3 + var_d * m**2 / d**4

    def pre_over_arm(self) -> RatioStats | None:
        """The pre-period sums with the arm's `n` (unseen units count as zeros); None if absent."""
        if self.pre is None:
            return None
        p = self.pre
        return RatioStats(self.n, p.num_sum, p.num_sum_sq, p.den_sum, p.den_sum_sq, p.num_den_sum)

    def post_pre_covariance(self) -> float:
        """Per-unit delta-method covariance of the post ratio with the pre-period ratio.

        With gradients g = (1/d, -m/d^2) of the post ratio and h = (1/dp, -mp/dp^2) of the pre
        ratio, cov = g' S h where S holds the sample covariances of (num, den) with
        (pre num, pre den). For a mean metric (both denominators 1) it is cov(num, pre num),
        gbstats' `RegressionAdjustedStatistic.covariance`.
        """
        pre = self.pre_over_arm()
        if pre is None or self.n <= 1 or self.den_mean == 0 or pre.den_mean == 0:
            return 0.0
        n = self.n
        g = (1 / self.den_mean, -self.num_mean / self.den_mean**2)
        h = (1 / pre.den_mean, -pre.num_mean / pre.den_mean**2)
        s = (
            (sample_covariance(n, self.num_sum, pre.num_sum, self.num_pre_num_sum),
             sample_covariance(n, self.num_sum, pre.den_sum, self.num_pre_den_sum)),
            (sample_covariance(n, self.den_sum, pre.num_sum, self.den_pre_num_sum),
             sample_covariance(n, self.den_sum, pre.den_sum, self.den_pre_den_sum)),
        )
        return sum(g[i] * s[i][j] * h[j] for i in range(2) for j in range(2))
