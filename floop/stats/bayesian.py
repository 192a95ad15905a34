"""Bayesian lift: chance to win and risk, as gbstats 0.8.0's effect model.

gbstats 0.8.0, `gbstats/bayesian/tests.py` (`EffectBayesianABTest`, `get_risk`) and
`gbstats/utils.py` (`truncated_normal_mean`). The likelihood of the lift is normal with the
mean and variance of `floop.stats.lift` (the same as the frequentist engine's). The prior on
the lift is Gaussian; gbstats' default is improper (flat), under which the posterior is the
likelihood. A proper prior is stated on the relative scale (gbstats' `prior_type="relative"`)
and, for an absolute lift, rescaled by the control's unadjusted mean: mean * |raw_a|,
variance * raw_a^2. Then

    precision = 1 / v + 1 / prior_var
    mu        = (effect / v + prior_mean / prior_var) / precision
    sigma     = sqrt(1 / precision)

    chance to win   = P(lift > 0)                 (P(lift < 0) for an inverse metric)
    credible interval = normal quantiles alpha/2 and 1 - alpha/2 of N(mu, sigma^2)
    risk of control   = P(lift > 0) E[lift | lift > 0]      (expected loss choosing control)
    risk of treatment = -P(lift < 0) E[lift | lift < 0]     (expected loss choosing treatment)

(the two risks swap for an inverse metric). The truncated-normal means are closed form:
E[X | X > 0] = mu + sigma phi(mu/sigma) / Phi(mu/sigma), and symmetrically below 0, computed
with log-densities so that far tails do not divide 0 by 0.

No result (chance 0.5, effect, interval and risks 0) when, for a relative lift, the control
mean is 0, when an arm has no units, or when an arm's variance is not positive.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats as sps

from floop.stats.arms import estimate_arms
from floop.stats.frequentist import BASELINE_ZERO, NO_UNITS, ZERO_VARIANCE
from floop.stats.lift import lift, lift_variance
from floop.stats.sufficient import RatioStats


@dataclass(frozen=True)
class GaussianPrior:
    """A prior on the relative lift (gbstats' metric prior: mean 0, stddev 0.1 when proper)."""

    mean: float = 0.0
    variance: float = 0.01


@dataclass(frozen=True)
class BayesianResult:
    """Posterior of the lift. `risk_control`: expected loss of keeping control;
    `risk_treatment`: expected loss of shipping treatment (both in the lift's units)."""

    chance_to_win: float
    expected: float
    ci_low: float
    ci_high: float
    se: float
    risk_control: float
    risk_treatment: float
    relative: bool
    cuped: bool
    theta: float = 0.0
    error: str | None = None


def truncated_mean_above_zero(mu: float, sigma: float) -> float:
    """E[X | X > 0] for X ~ N(mu, sigma^2)."""
    z = mu / sigma
    return mu + sigma * math.exp(sps.norm.logpdf(z) - sps.norm.logcdf(z))


def truncated_mean_below_zero(mu: float, sigma: float) -> float:
    """E[X | X < 0] for X ~ N(mu, sigma^2)."""
    z = mu / sigma
    return mu - sigma * math.exp(sps.norm.logpdf(z) - sps.norm.logsf(z))


def bayesian(
    control: RatioStats,
    treatment: RatioStats,
    *,
    relative: bool = True,
    cuped: bool = False,
    alpha: float = 0.05,
    prior: GaussianPrior | None = None,
    inverse: bool = False,
) -> BayesianResult:
    """Posterior of the lift of `treatment` over `control` (module docstring); `prior=None`
    is gbstats' default improper prior; `inverse=True` for metrics where lower is better."""
    a, b, theta = estimate_arms(control, treatment, cuped=cuped)

    def no_result(reason: str) -> BayesianResult:
        return BayesianResult(0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, relative, theta != 0, theta,
                              reason)

    if relative and (a.mean == 0 or a.unadjusted_mean == 0):
        return no_result(BASELINE_ZERO)
    if a.n == 0 or b.n == 0:
        return no_result(NO_UNITS)
    if a.variance <= 0 or b.variance <= 0:
        return no_result(ZERO_VARIANCE)
    effect = lift(a, b, relative=relative)
    variance = lift_variance(a, b, relative=relative)
    if prior is None:
        mu, precision = effect, 1 / variance
    else:
        scale = 1.0 if relative else a.unadjusted_mean
        prior_mean, prior_var = prior.mean * abs(scale), prior.variance * scale**2
        precision = 1 / variance + 1 / prior_var
        mu = (effect / variance + prior_mean / prior_var) / precision
    sigma = math.sqrt(1 / precision)
    p_up = float(sps.norm.sf(0, mu, sigma))
    p_down = float(sps.norm.cdf(0, mu, sigma))
    risk_control = p_up * truncated_mean_above_zero(mu, sigma) if p_up > 0 else 0.0
    risk_treatment = -p_down * truncated_mean_below_zero(mu, sigma) if p_down > 0 else 0.0
    if inverse:
        p_up, risk_control, risk_treatment = 1 - p_up, risk_treatment, risk_control
    low, high = sps.norm.ppf([alpha / 2, 1 - alpha / 2], mu, sigma)
    return BayesianResult(p_up, mu, float(low), float(high), sigma, risk_control,
                          risk_treatment, relative, theta != 0, theta)
