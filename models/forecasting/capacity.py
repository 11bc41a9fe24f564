"""Capacity planning: forecast demand in technician hours against the hours on the rota.

Hours needed per store and week = forecast repairs × the store's labour minutes per repair / 60,
where minutes per repair = Σ over repair types of (the store's share of that type over recent
weeks × the type's standard minutes, the median bench time of completed repairs). The forecast's
interval bounds go through the same product, so the hours carry the forecast's uncertainty.

Scheduled capacity = Σ contracted weekly hours of the technicians employed at the store that
week × ``productive_share`` (the part of a shift spent at the bench). A week is

* ``over`` when the hours needed exceed capacity,
* ``at risk`` when only the upper bound does,
* ``under`` when the hours needed fill less than ``under_share`` of capacity,
* ``ok`` otherwise.

:func:`recommendations` balances each week: hours move from stores with spare capacity (up to
``target_share`` of their capacity) to stores over it; what is still missing becomes extra
shifts, and large spare capacity that nobody needs is offered as shifts to cut or move.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

PRODUCTIVE_SHARE = 1.0
UNDER_SHARE = 0.6
TARGET_SHARE = 0.9  # a donor store keeps this much of its capacity for its own demand
SHIFT_HOURS = 8.0
MIX_WEEKS = 26
PLAN_COLUMNS = [
    "store", "ds", "repairs", "repairs_low", "repairs_high", "minutes_per_repair", "hours_needed",
    "hours_low", "hours_high", "capacity_hours", "utilisation", "status",
]  # fmt: skip


@dataclass(frozen=True)
class Recommendation:
    week: date
    store: str
    action: str  # "receive", "lend", "add shifts", "cut shifts"
    hours: float
    text: str


def standard_minutes(connection: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``repair_type, minutes``: the median labour minutes of completed repairs of each type."""
    return connection.execute(
        """
        SELECT repair_type, median(labour_minutes)::DOUBLE AS minutes
        FROM fct_repairs
        WHERE is_completed AND repair_type IS NOT NULL AND labour_minutes IS NOT NULL
        GROUP BY ALL ORDER BY repair_type
        """
    ).df()


def repair_mix(connection: duckdb.DuckDBPyConnection, weeks: int = MIX_WEEKS) -> pd.DataFrame:
    """``store, repair_type, share``: each store's mix of repair types over its last ``weeks``."""
    return connection.execute(
        """
        WITH recent AS (
            SELECT store_id, repair_type FROM fct_repairs
            WHERE repair_type IS NOT NULL
              AND received_date > (SELECT max(received_date) FROM fct_repairs) - ?::INTEGER
        )
        , counted AS (
            SELECT store_id, repair_type, count(*) AS repairs
            FROM recent GROUP BY store_id, repair_type
        )
        SELECT CAST(store_id AS VARCHAR) AS store, repair_type,
               repairs / sum(repairs) OVER (PARTITION BY store_id) AS share
        FROM counted ORDER BY store, repair_type
        """,
        [weeks * 7],
    ).df()


def technicians(connection: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``store, hired_date, left_date, weekly_hours`` of every technician."""
    return connection.execute(
        """
        SELECT CAST(store_id AS VARCHAR) AS store, hired_date, left_date, weekly_hours
        FROM dim_technician
        """
    ).df()


def minutes_per_repair(mix: pd.DataFrame, standard: pd.DataFrame) -> pd.Series:
    """Labour minutes per repair of each store: its repair-type mix × standard minutes.

    Types without a standard (never completed) take the overall median of the standards.
    """
    fallback = float(standard["minutes"].median()) if len(standard) else 0.0
    joined = mix.merge(standard, on="repair_type", how="left")
    joined["minutes"] = joined["minutes"].fillna(fallback)
    weighted = (joined["share"] * joined["minutes"]).groupby(joined["store"]).sum()
    shares = joined.groupby("store")["share"].sum()
    return (weighted / shares).rename("minutes_per_repair")


def scheduled_hours(
    staff: pd.DataFrame, weeks: list[pd.Timestamp], productive_share: float = PRODUCTIVE_SHARE
) -> pd.DataFrame:
    """``store, ds, capacity_hours`` for each week (dated by its Monday): technicians hired by
    the week's end and not gone before its start count with their weekly hours."""
    rows = []
    for week in weeks:
        week_end = week + pd.Timedelta(days=6)
        hired = pd.to_datetime(staff["hired_date"]) <= week_end
        left = pd.to_datetime(staff["left_date"])
        present = hired & (left.isna() | (left >= week))
        hours = staff[present].groupby("store")["weekly_hours"].sum()
        for store in staff["store"].unique():
            rows.append(
                {
                    "store": store,
                    "ds": week,
                    "capacity_hours": float(hours.get(store, 0.0)) * productive_share,
                }
            )
    return pd.DataFrame(rows, columns=["store", "ds", "capacity_hours"])


def capacity_plan(
    weekly_forecast: pd.DataFrame,
    per_repair: pd.Series,
    capacity: pd.DataFrame,
    *,
    under_share: float = UNDER_SHARE,
) -> pd.DataFrame:
    """One row per store and forecast week: repairs, hours needed (with bounds), capacity,
    utilisation and status (see the module docstring).

    ``weekly_forecast`` has ``store, ds, yhat, yhat_lower, yhat_upper`` (repairs per week).
    """
    plan = weekly_forecast.merge(per_repair.rename("minutes_per_repair"), left_on="store",
                                 right_index=True, how="left")  # fmt: skip
    plan["minutes_per_repair"] = plan["minutes_per_repair"].fillna(per_repair.mean())
    for source, target in (
        ("yhat", "hours_needed"),
        ("yhat_lower", "hours_low"),
        ("yhat_upper", "hours_high"),
    ):
        plan[target] = plan[source] * plan["minutes_per_repair"] / 60
    plan = plan.merge(capacity, on=["store", "ds"], how="left")
    plan["capacity_hours"] = plan["capacity_hours"].fillna(0.0)
    plan["utilisation"] = plan["hours_needed"] / plan["capacity_hours"].where(
        plan["capacity_hours"] > 0
    )
    plan["status"] = [
        _status(needed, high, capacity_hours, under_share)
        for needed, high, capacity_hours in zip(
            plan["hours_needed"], plan["hours_high"], plan["capacity_hours"], strict=True
        )
    ]
    plan = plan.rename(
        columns={"yhat": "repairs", "yhat_lower": "repairs_low", "yhat_upper": "repairs_high"}
    )
    return plan[PLAN_COLUMNS].sort_values(["ds", "store"]).reset_index(drop=True)


def _status(needed: float, high: float, capacity: float, under_share: float) -> str:
    if needed > capacity:
        return "over"
    if high > capacity:
        return "at risk"
    if needed < under_share * capacity:
        return "under"
    return "ok"


def recommendations(
    plan: pd.DataFrame,
    *,
    target_share: float = TARGET_SHARE,
    under_share: float = UNDER_SHARE,
    shift_hours: float = SHIFT_HOURS,
) -> list[Recommendation]:
    """Moves between stores, extra shifts and spare shifts, week by week (see the docstring)."""
    advice: list[Recommendation] = []
    for week, rows in plan.groupby("ds", sort=True):
        day = pd.Timestamp(week).date()
        label = f"Week of {pd.Timestamp(week):%d %b %Y}"
        short = {
            r.store: r.hours_needed - r.capacity_hours
            for r in rows.itertuples()
            if r.hours_needed > r.capacity_hours
        }
        spare = {
            r.store: target_share * r.capacity_hours - r.hours_needed
            for r in rows.itertuples()
            if target_share * r.capacity_hours > r.hours_needed
        }
        for taker in sorted(short, key=short.get, reverse=True):
            for giver in sorted(spare, key=spare.get, reverse=True):
                hours = min(short[taker], spare[giver])
                if hours < 1:
                    continue
                short[taker] -= hours
                spare[giver] -= hours
                text = (
                    f"{label}: move {hours:.0f} h ({_shifts(hours, shift_hours)}) from store "
                    f"{giver} to store {taker}"
                )
                advice.append(Recommendation(day, str(taker), "receive", hours, text))
                advice.append(Recommendation(day, str(giver), "lend", hours, text))
            if short[taker] >= 1:
                hours = short[taker]
                advice.append(
                    Recommendation(
                        day,
                        str(taker),
                        "add shifts",
                        hours,
                        f"{label}: store {taker} needs {hours:.0f} h more than scheduled: add "
                        f"{_shifts(hours, shift_hours)}",
                    )
                )
        for r in rows.itertuples():
            left = spare.get(r.store, 0.0)
            if r.hours_needed < under_share * r.capacity_hours and left >= shift_hours:
                advice.append(
                    Recommendation(
                        day,
                        str(r.store),
                        "cut shifts",
                        left,
                        f"{label}: store {r.store} is scheduled {left:.0f} h above what it "
                        f"needs: move or cut {_shifts(left, shift_hours)}",
                    )
                )
    return advice


def _shifts(hours: float, shift_hours: float) -> str:
    count = max(1, math.ceil(hours / shift_hours - 1e-9))
    return f"{count} shift{'s' if count != 1 else ''} of {shift_hours:.0f} h"
