"""Everything the inventory page shows, read from the warehouse and the production forecast."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import date

import pandas as pd

from core.settings import Settings
from models.errors import ModelInputError
from models.forecasting.store import production_forecasts, read_table, write_table
from models.inventory.backtest import (
    WARMUP_DAYS,
    BacktestResult,
    PolicyResult,
    backtest_policies,
    demand_matrix,
)
from models.inventory.data import (
    daily_usage,
    recent_use,
    reorder_crossings,
    stock_date,
    stock_positions,
)
from models.inventory.plan import (
    PolicySettings,
    purchase_orders,
    rates_from_sums,
    reorder_alerts,
    reorder_plan,
    store_demand_factors,
)
from warehouse.reader import connect_read_only


class InventoryDataError(ModelInputError):
    """The warehouse holds no stock records or no part use; ``str(error)`` says what to do."""


@dataclass(frozen=True)
class InventoryReport:
    as_of: date
    plan: pd.DataFrame
    orders: pd.DataFrame
    alerts: pd.DataFrame
    backtest: BacktestResult | None
    forecast_version: int | None  # the forecast that scaled consumption, None without one
    policy: PolicySettings


def inventory_report(
    settings: Settings, policy: PolicySettings | None = None, *, backtest: bool = True
) -> InventoryReport:
    """The reorder plan, purchase orders, alerts and (optionally) the policy backtest."""
    policy = policy or PolicySettings()
    connection = connect_read_only(settings)
    try:
        positions = stock_positions(connection)
        as_of = stock_date(connection)
        if positions.empty or as_of is None:
            raise InventoryDataError(
                "the warehouse has no stock records or no part use yet: load history with "
                "parts, then run `repairlens etl`"
            )
        # Only the stores' daily series scale consumption: read those, not every series.
        stores = positions["store_id"].unique()
        forecasts = production_forecasts(settings, [f"repairs/store/{s}/D" for s in stores])
        factors = (
            store_demand_factors(forecasts.history, forecasts.forecasts, policy.history_days)
            if forecasts is not None
            else None
        )
        rates = rates_from_sums(
            recent_use(connection, as_of, policy.history_days), policy.history_days
        )
        plan = reorder_plan(positions, rates, as_of, policy, factors)
        crossed = reorder_crossings(connection, plan[plan["is_below_reorder_point"]])
        usage = daily_usage(connection) if backtest else None
    finally:
        connection.close()
    return InventoryReport(
        as_of=as_of,
        plan=plan,
        orders=purchase_orders(plan),
        alerts=reorder_alerts(plan, crossed=crossed),
        backtest=None if usage is None else _replay(usage, positions, policy),
        forecast_version=None if forecasts is None else forecasts.version,
        policy=policy,
    )


def inventory_backtest(
    settings: Settings, policy: PolicySettings | None = None
) -> BacktestResult | None:
    """The backtest alone (:mod:`models.inventory.backtest`); None when the part-use history is
    too short to replay."""
    policy = policy or PolicySettings()
    connection = connect_read_only(settings)
    try:
        positions = stock_positions(connection)
        usage = daily_usage(connection)
    finally:
        connection.close()
    return _replay(usage, positions, policy)


def _replay(
    usage: pd.DataFrame, positions: pd.DataFrame, policy: PolicySettings
) -> BacktestResult | None:
    """Both rules replayed on the part-use history; None when it is too short to replay."""
    matrix, calendar = demand_matrix(usage, positions)
    if len(calendar) <= min(policy.history_days, WARMUP_DAYS) + policy.review_days:
        return None
    return backtest_policies(matrix, calendar, positions, policy)


BACKTEST_TABLE = "inventory_backtest"


def backtest_frame(
    result: BacktestResult, policy: PolicySettings, warehouse_version: str | None
) -> pd.DataFrame:
    """One row per rule with the replay's span, the policy it ran and the warehouse it read."""
    span = {
        "days": result.days,
        "pairs": result.pairs,
        "first_day": result.first_day,
        "last_day": result.last_day,
        "warehouse_version": warehouse_version,
        **{f"policy_{key}": value for key, value in asdict(policy).items()},
    }
    return pd.DataFrame([{**asdict(rule), **span} for rule in (result.policy, result.min_max)])


def backtest_from_frame(frame: pd.DataFrame) -> BacktestResult:
    rules = {
        row["name"]: PolicyResult(**{f.name: row[f.name] for f in fields(PolicyResult)})
        for row in frame.to_dict("records")
    }
    first = frame.iloc[0]
    return BacktestResult(
        days=int(first["days"]),
        pairs=int(first["pairs"]),
        first_day=first["first_day"],
        last_day=first["last_day"],
        policy=rules["policy"],
        min_max=rules["min/max"],
    )


def store_backtest(
    settings: Settings, version: int, warehouse_version: str | None, policy: PolicySettings
) -> BacktestResult | None:
    """Replay the history under ``policy`` and keep it with forecast ``version`` (computed at
    training time, so the page only reads it); None when the history is too short."""
    result = inventory_backtest(settings, policy)
    if result is not None:
        write_table(
            settings, version, BACKTEST_TABLE, backtest_frame(result, policy, warehouse_version)
        )
    return result


def stored_backtest(
    settings: Settings, version: int, warehouse_version: str | None, policy: PolicySettings
) -> BacktestResult | None:
    """The replay kept with forecast ``version`` if it ran this policy on this warehouse
    version, else None (then it has to be computed: :func:`inventory_backtest`)."""
    frame = read_table(settings, version, BACKTEST_TABLE)
    if frame is None or frame.empty or frame["warehouse_version"].iloc[0] != warehouse_version:
        return None
    ran = {key: frame[f"policy_{key}"].iloc[0] for key in asdict(policy)}
    if ran != asdict(policy):
        return None
    return backtest_from_frame(frame)
