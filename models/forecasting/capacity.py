"""Capacity planning: forecast demand in technician hours against the hours a team can work.

Hours needed per store and week = forecast repairs × the store's labour minutes per repair / 60,
where minutes per repair = Σ over repair types of (the store's share of that type over recent
weeks × the type's standard minutes). A type's standard minutes are the labour minutes recorded
per finished repair of that type: their mean (the forecast adds repairs up, so a median would
understate the total), with repairs cancelled before the bench counted as 0 minutes (the forecast
counts them too) and absurd entries (``MAX_PLAUSIBLE_MINUTES`` or more) left out. The forecast's
interval bounds go through the same product, so the hours carry the forecast's uncertainty.

Two capacities:

* scheduled = Σ contracted weekly hours of the technicians employed at the store that week ×
  ``productive_share`` (the part of a shift spent at the bench);
* delivered = the labour hours the store's team recorded in a busy recent week: the
  ``DELIVERED_QUANTILE`` quantile of its weekly recorded labour over the last ``MIX_WEEKS``
  complete weeks. Teams routinely book more bench time than their contracts hold (overtime,
  work done faster than booked), so this is the realistic baseline when it is known.

A week's status is judged against delivered capacity when the plan has it, else scheduled:

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
import numpy as np
import pandas as pd

PRODUCTIVE_SHARE = 1.0
UNDER_SHARE = 0.6
TARGET_SHARE = 0.9  # a donor store keeps this much of its capacity for its own demand
SHIFT_HOURS = 8.0
MIX_WEEKS = 26
DELIVERED_QUANTILE = 0.9
MAX_PLAUSIBLE_MINUTES = 1000  # recorded labour at or above this is a typo (9999, 6000 …)
PLAN_COLUMNS = [
    "store", "ds", "repairs", "repairs_low", "repairs_high", "minutes_per_repair", "hours_needed",
    "hours_low", "hours_high", "scheduled_hours", "delivered_hours", "capacity_hours",
    "capacity_basis", "utilisation", "status",
]  # fmt: skip


@dataclass(frozen=True)
class Recommendation:
    week: date
    store: str
    action: str  # "receive", "lend", "add shifts", "cut shifts"
    hours: float
    text: str


def standard_minutes(connection: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``repair_type, minutes``: mean labour minutes per finished (completed or cancelled)
    repair of each type, cancelled ones at 0, absurd entries left out (see the module doc)."""
    return connection.execute(
        """
        SELECT repair_type,
               (sum(CASE WHEN is_completed THEN labour_minutes ELSE 0 END) / count(*))::DOUBLE
                   AS minutes
        FROM fct_repairs
        WHERE (is_completed OR is_cancelled) AND repair_type IS NOT NULL
          AND coalesce(labour_minutes, 0) < ?
          AND (is_cancelled OR labour_minutes IS NOT NULL)
        GROUP BY ALL ORDER BY repair_type
        """,
        [MAX_PLAUSIBLE_MINUTES],
    ).df()


def weekly_labour(connection: duckdb.DuckDBPyConnection, weeks: int = MIX_WEEKS) -> pd.DataFrame:
    """``store, ds, hours``: labour hours recorded on repairs completed in each of the last
    ``weeks`` complete Monday-to-Sunday weeks (a store's week without any is 0)."""
    return connection.execute(
        """
        WITH bounds AS (
            -- the last complete week ends on the Sunday on or before the last completion
            SELECT date_trunc('week', max(completed_date) + 1)::DATE AS stop FROM fct_repairs
        ), calendar AS (
            SELECT CAST(stop - 7 * i::INTEGER AS DATE) AS ds FROM bounds, range(1, ? + 1) t(i)
        ), stores AS (
            SELECT DISTINCT store_id FROM fct_repairs
        ), recorded AS (
            SELECT store_id, date_trunc('week', completed_date)::DATE AS ds,
                   sum(labour_minutes) / 60.0 AS hours
            FROM fct_repairs, bounds
            WHERE is_completed AND labour_minutes < ?
              AND completed_date >= stop - 7 * ?::INTEGER AND completed_date < stop
            GROUP BY ALL
        )
        SELECT CAST(s.store_id AS VARCHAR) AS store, c.ds, coalesce(r.hours, 0)::DOUBLE AS hours
        FROM stores s CROSS JOIN calendar c LEFT JOIN recorded r USING (store_id, ds)
        ORDER BY store, c.ds
        """,
        [weeks, MAX_PLAUSIBLE_MINUTES, weeks],
    ).df()


def delivered_capacity(
    labour: pd.DataFrame, quantile: float = DELIVERED_QUANTILE, opened_only: bool = True
) -> pd.Series:
    """Hours per week a store's team has shown it can deliver (index: store): the ``quantile``
    of its weekly recorded labour (:func:`weekly_labour`). With ``opened_only``, weeks before
    the store's first recorded labour are left out (a store opened mid-window)."""
    frame = labour.sort_values(["store", "ds"])
    if opened_only:
        started = frame.groupby("store")["hours"].transform(lambda h: (h > 0).cummax())
        frame = frame[started.astype(bool)]
    return frame.groupby("store")["hours"].quantile(quantile).rename("delivered_hours")


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
    delivered: pd.Series | None = None,
    *,
    under_share: float = UNDER_SHARE,
) -> pd.DataFrame:
    """One row per store and forecast week: repairs, hours needed (with bounds), scheduled and
    delivered hours, the capacity the status is judged against (``capacity_hours``, basis
    ``delivered`` where known, else ``scheduled``), utilisation and status.

    ``weekly_forecast`` has ``store, ds, yhat, yhat_lower, yhat_upper`` (repairs per week);
    ``capacity`` has ``store, ds, capacity_hours`` (scheduled); ``delivered`` is
    :func:`delivered_capacity` (hours per week by store).
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
    scheduled = capacity.rename(columns={"capacity_hours": "scheduled_hours"})
    plan = plan.merge(scheduled, on=["store", "ds"], how="left")
    plan["scheduled_hours"] = plan["scheduled_hours"].fillna(0.0)
    known = delivered if delivered is not None else pd.Series(dtype=float)
    plan["delivered_hours"] = plan["store"].map(known.rename("delivered_hours")).astype(float)
    use_delivered = plan["delivered_hours"] > 0
    plan["capacity_hours"] = plan["delivered_hours"].where(use_delivered, plan["scheduled_hours"])
    plan["capacity_basis"] = np.where(use_delivered, "delivered", "scheduled")
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
                        f"{label}: store {taker} needs {hours:.0f} h more than "
                        f"{_basis_words(rows, taker)}: add {_shifts(hours, shift_hours)}",
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
                        f"{label}: store {r.store} has {left:.0f} h more capacity than it "
                        f"needs: move or cut {_shifts(left, shift_hours)}",
                    )
                )
    return advice


def _basis_words(rows: pd.DataFrame, store: str) -> str:
    """What the shortfall is measured against, in the words of a recommendation."""
    basis = rows.loc[rows["store"] == store, "capacity_basis"] if "capacity_basis" in rows else []
    if len(basis) and basis.iloc[0] == "delivered":
        return "its team delivered in a busy recent week"
    return "scheduled"


def _shifts(hours: float, shift_hours: float) -> str:
    count = max(1, math.ceil(hours / shift_hours - 1e-9))
    return f"{count} shift{'s' if count != 1 else ''} of {shift_hours:.0f} h"
