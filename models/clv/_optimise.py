"""Maximum likelihood in log-parameter space, shared by the BG/NBD and Gamma-Gamma fits."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy.optimize import minimize

from models.clv._arrays import FloatArray
from models.clv.errors import ClvFitError

# exp(±25) spans 1e-11 to 7e10: far beyond any plausible shape or scale in these models, yet
# finite, so a parameter that runs off to 0 or infinity is caught instead of overflowing.
LOG_BOUND = 25.0


def maximise(
    log_likelihood: Callable[[FloatArray], float],
    start: Sequence[float],
    names: Sequence[str],
    model: str,
) -> tuple[FloatArray, float]:
    """Maximise ``log_likelihood(params)`` over positive parameters; return (params, maximum).

    The search runs over log-parameters so that positivity needs no constraint and the scales of
    the parameters (``alpha`` in days is seven times ``alpha`` in weeks) stop mattering. The
    negative log-likelihood is divided by its size at the start, so the optimisers' tolerances
    mean the same for 500 customers as for 500,000. L-BFGS-B finds the optimum; a Nelder-Mead pass
    from there polishes it, because finite-difference gradients stall a few digits short of it.
    """
    x0 = np.log(np.asarray(start, dtype=np.float64))
    with np.errstate(all="ignore"):
        at_start = log_likelihood(np.exp(x0))
    scale = max(abs(at_start), 1.0) if np.isfinite(at_start) else 1.0

    def objective(log_params: FloatArray) -> float:
        value = log_likelihood(np.exp(log_params))
        return -value / scale if np.isfinite(value) else np.inf

    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(x0)
    with np.errstate(all="ignore"):
        coarse = minimize(objective, x0, method="L-BFGS-B", bounds=bounds)
        fine = minimize(
            objective,
            coarse.x,
            method="Nelder-Mead",
            bounds=bounds,
            options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 20_000, "maxfev": 40_000},
        )
    best = fine if fine.fun <= coarse.fun else coarse
    if not np.isfinite(best.fun):
        raise ClvFitError(
            f"the {model} likelihood is not finite anywhere the optimiser looked; check that the "
            "summary follows the conventions (frequency, recency ≤ T, spend > 0)"
        )
    at_bound = [
        name for name, value in zip(names, best.x, strict=True) if abs(value) > LOG_BOUND - 1
    ]
    if at_bound:
        raise ClvFitError(
            f"the {model} fit did not converge: {', '.join(at_bound)} ran off towards 0 or "
            "infinity, so the data do not pin the model down; use more customers or a longer "
            "calibration period"
        )
    return np.exp(best.x), -best.fun * scale
