"""Training, evaluating, explaining and registering the churn model.

Time split. With ``H`` the label horizon (52 weeks, or a quarter of a shorter history), the
evaluation model learns from customers as they stood at ``end − 2H`` and up to two earlier cutoffs
8 weeks apart (labels: their returns in the window after each, all observed by ``end − H``), and
is scored on customers as they stood at ``end − H`` (labels observed by ``end``). Nothing the
scored labels depend on is seen in training.

Model: scikit-learn ``HistGradientBoostingClassifier`` on behaviour and experience features
(:data:`models.churn.features.FEATURES`) plus the BG/NBD quantities at the cutoff
(``BGNBD_FEATURES``), so it starts from what the baseline knows. Baselines, on the same customers:
BG/NBD **P(alive)** (churn score ``1 − P(alive)``) and the BG/NBD **probability of no return
within the window**, both from a BG/NBD fitted on the visits before the cutoff. The production
model is refitted on every labelled cutoff and scores every customer as of the end of the data,
with exact per-customer SHAP values (TreeSHAP, log-odds) as its reasons.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from core.settings import Settings
from models import registry
from models.churn.explain import reasons
from models.churn.features import (
    MODEL_FEATURES,
    bgnbd_at,
    churn_labels,
    customer_features,
    return_windows,
    with_bgnbd,
)
from models.clv.errors import ClvInputError
from models.clv.history import (
    NotEnoughHistoryError,
    last_day,
    read_customer_repairs,
    weeks_between,
)
from models.errors import ModelInputError
from models.registry.store import dumps_skops, loads_skops
from warehouse.reader import warehouse_version

KIND = "churn"
MAX_HORIZON_WEEKS = 52
MIN_HORIZON_WEEKS = 8  # a shorter window says more about the season than about loyalty
MIN_CUSTOMERS = 200
EXTRA_CUTOFFS = 2
CUTOFF_STEP_WEEKS = 8
MIN_HISTORY_WEEKS = 20
PARAMETERS: dict[str, Any] = {
    "learning_rate": 0.05,
    "max_iter": 100,
    "max_leaf_nodes": 8,
    "min_samples_leaf": 200,
    "l2_regularization": 1.0,
}
TRUSTED_TYPES = (
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.link.Interval",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn._loss._loss.CyHalfBinomialLoss",
    "numpy.dtypes.VoidDType",
)


class ChurnNotTrainedError(ModelInputError):
    """No production churn model; ``str(error)`` says what to run."""


def horizon_weeks(first: date, end: date) -> float:
    return float(min(MAX_HORIZON_WEEKS, weeks_between(first, end) // 4))


def labelled_customers(repairs: pl.DataFrame, cutoff: date, horizon: float) -> pl.DataFrame:
    """Features, BG/NBD baselines and the churn label of every customer seen by ``cutoff``."""
    params, summary = bgnbd_at(repairs, cutoff)
    windows = return_windows(params, summary, horizon)
    return with_bgnbd(customer_features(repairs, cutoff), windows).join(
        churn_labels(repairs, cutoff, windows), on="customer_id"
    )


def training_cutoffs(train_cutoff: date, first: date) -> list[date]:
    """The training cutoff and up to ``EXTRA_CUTOFFS`` earlier ones, ``CUTOFF_STEP_WEEKS`` apart,
    each with at least ``MIN_HISTORY_WEEKS`` of history before it: more (overlapping) examples
    of how customers behave after a cutoff, so the model depends less on one season."""
    cutoffs = [
        train_cutoff - timedelta(weeks=CUTOFF_STEP_WEEKS * k) for k in range(EXTRA_CUTOFFS + 1)
    ]
    return [c for c in cutoffs if weeks_between(first, c) >= MIN_HISTORY_WEEKS] or [train_cutoff]


def stacked(repairs: pl.DataFrame, cutoffs: list[date], horizon: float) -> pl.DataFrame:
    """Labelled customers at each cutoff where the BG/NBD can be fitted, one frame."""
    frames = []
    for cutoff in cutoffs:
        try:
            frames.append(labelled_customers(repairs, cutoff, horizon))
        except ClvInputError:
            if cutoff == cutoffs[0]:
                raise
    return pl.concat(frames)


def matrix(frame: pl.DataFrame) -> np.ndarray:
    return frame.select(list(MODEL_FEATURES)).to_numpy().astype(float)


def fit(frame: pl.DataFrame, parameters: dict[str, Any]) -> HistGradientBoostingClassifier:
    model = HistGradientBoostingClassifier(**parameters, early_stopping=False, random_state=0)
    return model.fit(matrix(frame), frame["churned"].to_numpy())


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """Mean predicted against observed churn in ``bins`` equal-count bins of the prediction."""
    order = np.argsort(p)
    return [
        {"predicted": float(p[i].mean()), "observed": float(y[i].mean()), "customers": len(i)}
        for i in np.array_split(order, bins)
        if len(i)
    ]


def scores(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    return {
        "roc_auc": float(roc_auc_score(y, p)),
        "pr_auc": float(average_precision_score(y, p)),
        "brier": float(brier_score_loss(y, np.clip(p, 0, 1))),
    }


def evaluate(train: pl.DataFrame, test: pl.DataFrame, parameters: dict[str, Any]) -> dict[str, Any]:
    """Hold-out metrics of the model and of both BG/NBD baselines on the later cutoff."""
    model = fit(train, parameters)
    y = test["churned"].to_numpy().astype(int)
    predicted = model.predict_proba(matrix(test))[:, 1]
    metrics: dict[str, Any] = {"customers": test.height, "churn_rate": float(y.mean())}
    for prefix, p in (
        ("", predicted),
        ("p_alive_", 1 - test["p_alive"].to_numpy()),
        ("bgnbd_", test["p_no_return"].to_numpy()),
    ):
        metrics.update({prefix + key: value for key, value in scores(y, p).items()})
    metrics["calibration"] = calibration_table(y, predicted)
    return metrics


def train_churn(
    settings: Settings,
    window: tuple[date, date] | None = None,
    *,
    promote: bool = False,
    started_by: str | None = None,
    parameters: dict[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> registry.Entry:
    """Evaluate on the time split, refit, score and explain every customer, register."""
    say = progress or (lambda _message: None)
    chosen = {**PARAMETERS, **(parameters or {})}
    version_read = warehouse_version(settings)
    repairs = read_customer_repairs(settings, window)
    end = last_day(repairs)
    first = repairs["received_date"].min()
    horizon = horizon_weeks(first, end)
    if horizon < MIN_HORIZON_WEEKS:
        raise NotEnoughHistoryError(
            f"churn needs at least {4 * MIN_HORIZON_WEEKS} weeks of history; the data span "
            f"{weeks_between(first, end):.0f} (load a longer history or widen --since/--until)"
        )
    test_cutoff = end - timedelta(weeks=horizon)
    train_cutoff = test_cutoff - timedelta(weeks=horizon)
    say(
        f"read {repairs.height:,} repairs from warehouse {version_read}; "
        f"horizon {horizon:.0f} weeks"
    )
    try:
        train = stacked(repairs, training_cutoffs(train_cutoff, first), horizon)
        test = labelled_customers(repairs, test_cutoff, horizon)
    except ClvInputError as error:
        raise NotEnoughHistoryError(f"not enough history to define churn: {error}") from None
    if min(train.height, test.height) < MIN_CUSTOMERS or train["churned"].n_unique() < 2:
        raise NotEnoughHistoryError(
            f"only {train.height} customers at the training cutoff {train_cutoff}; churn needs at "
            f"least {MIN_CUSTOMERS} with returns and non-returns (load a longer history)"
        )
    metrics = evaluate(train, test, chosen)
    metrics.update(
        training_rows=train.height,
        horizon_weeks=horizon,
        train_cutoff=train_cutoff.isoformat(),
        test_cutoff=test_cutoff.isoformat(),
    )
    say(f"hold-out ROC-AUC {metrics['roc_auc']:.3f} vs P(alive) {metrics['p_alive_roc_auc']:.3f}")
    # production: the hold-out customers (their labels are known now) and the training ones
    model = fit(pl.concat([test, train]), chosen)
    params, summary = bgnbd_at(repairs, end)
    current = with_bgnbd(customer_features(repairs, end), return_windows(params, summary, horizon))
    probability = model.predict_proba(matrix(current))[:, 1]
    explained = reasons(model, current, list(MODEL_FEATURES))
    scored = (
        current.select("customer_id", "visits", "days_since_last", "p_alive")
        .with_columns(pl.Series("churn_probability", probability))
        .join(explained, on="customer_id")
    )
    artifact = dumps_skops(
        {
            "format": 2,
            "model": model,
            "features": list(MODEL_FEATURES),
            "scored_as_of": end.isoformat(),
            "scores_parquet": _parquet(scored),
        }
    )
    user = started_by or registry.current_user()
    entry = registry.register(
        KIND,
        artifact,
        started_by=user,
        parameters={**chosen, "gap_multiple": 2.0, "features": list(MODEL_FEATURES)},
        metrics=metrics,
        window=(first, end),
        warehouse_version=version_read,
        settings=settings,
    )
    return registry.promote_if_first(entry, requested=promote, by=user, settings=settings)


def describe_entry(entry: registry.Entry) -> str:
    m = entry.metrics
    return (
        f"churn v{entry.version} ({entry.status}) trained on {entry.window_start} … "
        f"{entry.window_end}: hold-out at {m['test_cutoff']} ({m['customers']:,} customers, "
        f"{m['churn_rate']:.0%} churned) ROC-AUC {m['roc_auc']:.3f} (P(alive) "
        f"{m['p_alive_roc_auc']:.3f}, BG/NBD no-return {m['bgnbd_roc_auc']:.3f}), PR-AUC "
        f"{m['pr_auc']:.3f} ({m['p_alive_pr_auc']:.3f}), Brier {m['brier']:.3f} "
        f"({m['p_alive_brier']:.3f})"
    )


def load_scores(settings: Settings) -> tuple[registry.Entry, str, pl.DataFrame]:
    """The production churn entry, the day its scores are as of, and the per-customer scores."""
    entry = registry.production(KIND, settings=settings)
    if entry is None:
        raise ChurnNotTrainedError("no churn model yet: run `repairlens train churn`")
    data = loads_skops(registry.load_artifact(entry), TRUSTED_TYPES)
    if "scores_parquet" in data:
        scores = pl.read_parquet(io.BytesIO(data["scores_parquet"]))
    else:  # format 1 kept the scores as plain lists
        scores = pl.DataFrame(data["scores"])
    return entry, data["scored_as_of"], scores


def _parquet(frame: pl.DataFrame) -> bytes:
    """Scores travel as Parquet bytes inside the artifact: skops checks the types of every
    object it loads, which is slow for tens of thousands of plain values."""
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()
