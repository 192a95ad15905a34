"""floop's statistics engine for experiments and gates, equal to GrowthBook's gbstats 0.8.0.

Pure functions of per-arm sufficient statistics (`RatioStats`), computed with numpy/scipy;
each module's docstring states its formulas and the gbstats source they match:

- `frequentist`: Welch t-test or always-valid sequential interval on the relative or absolute
  lift of a ratio metric (delta method), optionally CUPED-adjusted;
- `bayesian`: chance to win, risk and credible interval of the same lift;
- `srm_p_value`: Pearson chi-squared sample-ratio test against planned weights;
- `holm_bonferroni`: adjusted p-values across arms and goal metrics;
- `thompson_top_two`: bandit allocation weights from Beta posteriors.
"""

from floop.stats.bandit import thompson_top_two
from floop.stats.bayesian import BayesianResult, GaussianPrior, bayesian
from floop.stats.frequentist import EffectEstimate, frequentist
from floop.stats.multiple import holm_bonferroni
from floop.stats.srm import SRM_ALPHA, srm_p_value, srm_unhealthy
from floop.stats.sufficient import RatioStats

__all__ = [
    "SRM_ALPHA",
    "BayesianResult",
    "EffectEstimate",
    "GaussianPrior",
    "RatioStats",
    "bayesian",
    "frequentist",
    "holm_bonferroni",
    "srm_p_value",
    "srm_unhealthy",
    "thompson_top_two",
]
