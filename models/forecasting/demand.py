"""Demand series from the warehouse: repairs and revenue per day and per week.

A series is named ``<measure>/<dimension>/<member>/<freq>``, e.g. ``repairs/store/3/W`` or
``repairs/device_category/phone/D``. Measures: ``repairs`` (repairs received, cancelled ones
included: they were demand) and ``revenue_eur`` (revenue of repairs completed that day, because
a price exists only once a repair is done). Dimensions: ``total``, ``device_category``,
``repair_type`` and ``store`` for repairs; ``total`` and ``store`` for revenue.

The last day of the history is left out (it is usually still running, so it would look like a
drop in demand); weekly series run Monday to Sunday and keep only complete weeks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from models.forecasting.periods import Freq

MEASURES = ("repairs", "revenue_eur")
DIMENSIONS = ("total", "device_category", "repair_type", "store")
REVENUE_DIMENSIONS = ("total", "store")
MEASURE_LABELS = {"repairs": "repairs", "revenue_eur": "revenue (EUR)"}
DIMENSION_LABELS = {
    "total": "All stores",
    "device_category": "Device category",
    "repair_type": "Repair type",
    "store": "Store",
}


@dataclass(frozen=True)
class SeriesKey:
    measure: str
    dimension: str
    member: str
    freq: Freq

    @property
    def series_id(self) -> str:
        return f"{self.measure}/{self.dimension}/{self.member}/{self.freq}"

    @classmethod
    def parse(cls, series_id: str) -> SeriesKey:
        measure, dimension, member, freq = series_id.split("/")
        return cls(measure, dimension, member, freq)  # type: ignore[arg-type]

    def label(self) -> str:
        """How the series reads on a page: "repairs · Store 3 · weekly"."""
        member = {
            "total": "all stores",
            "store": f"store {self.member}",
        }.get(self.dimension, self.member.replace("_", " "))
        cadence = {"D": "daily", "W": "weekly", "MS": "monthly"}[self.freq]
        return f"{MEASURE_LABELS[self.measure]} · {member} · {cadence}"


def daily_demand(
    connection: duckdb.DuckDBPyConnection, window: tuple[date, date] | None = None
) -> pd.DataFrame:
    """One row per day × store × device category × repair type: ``repairs`` received and
    ``revenue_eur`` completed. ``window`` limits the days read (both ends included)."""
    where_received = "" if window is None else "WHERE received_date BETWEEN ? AND ?"
    where_completed = "AND completed_date BETWEEN ? AND ?" if window else ""
    parameters = [] if window is None else [*window, *window]
    return connection.execute(
        f"""
        WITH received AS (
            SELECT received_date AS ds, store_id, device_category,
                   coalesce(repair_type, 'unknown') AS repair_type, count(*) AS repairs
            FROM fct_repairs {where_received}
            GROUP BY ALL
        ), completed AS (
            SELECT completed_date AS ds, store_id, device_category,
                   coalesce(repair_type, 'unknown') AS repair_type,
                   sum(CAST(revenue_eur AS DOUBLE)) AS revenue_eur
            FROM fct_repairs
            WHERE is_completed AND completed_date IS NOT NULL {where_completed}
            GROUP BY ALL
        )
        SELECT ds, store_id, device_category, repair_type,
               coalesce(repairs, 0) AS repairs, coalesce(revenue_eur, 0) AS revenue_eur
        FROM received FULL OUTER JOIN completed USING (ds, store_id, device_category, repair_type)
        ORDER BY ds
        """,
        parameters,
    ).df()


def demand_series(
    daily: pd.DataFrame, freqs: tuple[Freq, ...] = ("D", "W")
) -> dict[str, pd.Series]:
    """Every series of the module docstring, regular and zero-filled, keyed by series id.

    ``daily`` has the columns of :func:`daily_demand`. Days without a row had no demand.
    """
    if daily.empty:
        return {}
    frame = daily.assign(ds=pd.to_datetime(daily["ds"]), store=daily["store_id"].astype(str))
    last = frame.loc[frame["repairs"] > 0, "ds"].max()
    frame = frame[frame["ds"] < last]  # the last day is still running
    if frame.empty:
        return {}
    days = pd.date_range(frame["ds"].min(), frame["ds"].max(), freq="D")
    result: dict[str, pd.Series] = {}
    for measure in MEASURES:
        dimensions = DIMENSIONS if measure == "repairs" else REVENUE_DIMENSIONS
        for dimension in dimensions:
            if dimension == "total":
                grouped = {"all": frame.groupby("ds")[measure].sum()}
            else:
                column = "store" if dimension == "store" else dimension
                table = frame.pivot_table(
                    index="ds", columns=column, values=measure, aggfunc="sum", fill_value=0
                )
                grouped = {str(name): table[name] for name in table.columns}
            for member, values in grouped.items():
                day_values = values.reindex(days, fill_value=0).astype(float).asfreq("D")
                for freq in freqs:
                    key = SeriesKey(measure, dimension, member, freq)
                    result[key.series_id] = _at_freq(day_values, freq)
    return result


def _at_freq(day_values: pd.Series, freq: Freq) -> pd.Series:
    if freq == "D":
        return day_values.rename("y")
    if freq == "W":
        # Weeks dated by their Monday, complete weeks only.
        start = day_values.index[0]
        first_monday = start + pd.Timedelta(days=(7 - start.weekday()) % 7)
        end = day_values.index[-1]
        last_sunday = end - pd.Timedelta(days=(end.weekday() + 1) % 7)
        whole = day_values[first_monday:last_sunday]
        weekly = whole.resample("W-MON", label="left", closed="left").sum()
        return weekly.asfreq("W-MON").rename("y")
    monthly = day_values.resample("MS").sum()
    return monthly.asfreq("MS").rename("y")
