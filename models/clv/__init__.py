"""Customer lifetime value: BG/NBD purchase frequency and Gamma-Gamma spend, fit by maximum
likelihood (scipy) over polars/numpy inputs.

Pipeline: :func:`rfm_summary` turns a transaction log into per-customer (frequency, recency, T,
monetary_value) for a calibration period; :func:`fit_bgnbd` and :func:`fit_gamma_gamma` fit the
models; :func:`p_alive`, :func:`expected_purchases`, :func:`expected_average_value` and
:func:`customer_lifetime_value` forecast; :func:`clv_report` does all of it in one call, and
``models.clv.command.clv`` is the ``repairlens clv`` command. Input the models cannot use raises
:class:`ClvInputError` (a ``ValueError``) with a one-line message.
"""

from models.clv.bgnbd import (
    BgNbdParams,
    bgnbd_log_likelihood,
    expected_purchases,
    fit_bgnbd,
    p_alive,
)
from models.clv.errors import ClvFitError, ClvInputError
from models.clv.gamma_gamma import (
    GammaGammaParams,
    expected_average_value,
    fit_gamma_gamma,
    frequency_monetary_correlation,
    gamma_gamma_log_likelihood,
)
from models.clv.rfm import TimeUnit, holdout_summary, rfm_summary
from models.clv.simulate import simulate_bgnbd, simulate_gamma_gamma, simulate_transactions
from models.clv.value import DEFAULT_HORIZON, clv_report, customer_lifetime_value

__all__ = [
    "DEFAULT_HORIZON",
    "BgNbdParams",
    "ClvFitError",
    "ClvInputError",
    "GammaGammaParams",
    "TimeUnit",
    "bgnbd_log_likelihood",
    "clv_report",
    "customer_lifetime_value",
    "expected_average_value",
    "expected_purchases",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "frequency_monetary_correlation",
    "gamma_gamma_log_likelihood",
    "holdout_summary",
    "p_alive",
    "rfm_summary",
    "simulate_bgnbd",
    "simulate_gamma_gamma",
    "simulate_transactions",
]
