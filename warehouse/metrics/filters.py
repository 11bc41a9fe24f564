"""The filters every metric takes, and the SQL they turn into.

A :class:`Filters` value is plain data (hashable, so pages can cache on it): a date range, the
comparison period, and the stores, device categories, brands, repair types and technicians to
keep. An empty selection means "all". Every metric applies the dimension filters to the repairs
it reads through :func:`repair_conditions`, so "the selected repairs" means the same everywhere.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

import duckdb
import polars as pl

Comparison = Literal["previous_period", "same_period_last_year", "none"]
Grain = Literal["day", "week", "month"]

COMPARISONS: tuple[Comparison, ...] = ("previous_period", "same_period_last_year", "none")
GRAINS: tuple[Grain, ...] = ("day", "week", "month")


class MetricInputError(ValueError):
    """Filters a metric cannot use; ``str(error)`` is one line that says what to change."""


@dataclass(frozen=True)
class Filters:
    """What the dashboard shows: the days ``start``–``end`` (inclusive) of the selected repairs."""

    start: dt.date
    end: dt.date
    comparison: Comparison = "previous_period"
    stores: tuple[int, ...] = ()
    device_categories: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    repair_types: tuple[str, ...] = ()
    technicians: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise MetricInputError(
                f"the date range ends ({self.end}) before it starts ({self.start}): swap them"
            )
        if self.comparison not in COMPARISONS:
            raise MetricInputError(
                f"unknown comparison {self.comparison!r}: use one of {', '.join(COMPARISONS)}"
            )

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def comparison_window(self) -> tuple[dt.date, dt.date] | None:
        """The comparison period: the as-long window just before, or the same dates a year back."""
        if self.comparison == "previous_period":
            end = self.start - dt.timedelta(days=1)
            return end - dt.timedelta(days=self.days - 1), end
        if self.comparison == "same_period_last_year":
            return _year_before(self.start), _year_before(self.end)
        return None

    def compared(self) -> Filters | None:
        """The same selection over the comparison period (itself without a comparison)."""
        window = self.comparison_window()
        if window is None:
            return None
        return replace(self, start=window[0], end=window[1], comparison="none")

    def with_dates(self, start: dt.date, end: dt.date) -> Filters:
        return replace(self, start=start, end=end)

    @property
    def has_dimension_filters(self) -> bool:
        return any(
            (self.stores, self.device_categories, self.brands, self.repair_types, self.technicians)
        )


def _year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def repair_conditions(filters: Filters, alias: str = "r") -> tuple[str, dict[str, Any]]:
    """A SQL predicate on ``fct_repairs`` (as ``alias``) keeping the selected repairs."""
    prefix = f"{alias}." if alias else ""
    selections = (
        ("store_id", "f_stores", filters.stores),
        ("device_category", "f_categories", filters.device_categories),
        ("device_brand", "f_brands", filters.brands),
        ("repair_type", "f_repair_types", filters.repair_types),
        ("technician_id", "f_technicians", filters.technicians),
    )
    clauses, params = [], {}
    for column, name, values in selections:
        if values:
            clauses.append(f"list_contains(${name}, {prefix}{column})")
            params[name] = list(values)
    return (" AND ".join(clauses) or "TRUE"), params


_PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def query(
    conn: duckdb.DuckDBPyConnection, sql: str, params: Mapping[str, Any] | None = None
) -> pl.DataFrame:
    """Run ``sql`` with the named parameters it uses (DuckDB refuses unused ones) as polars."""
    used = set(_PARAMETER.findall(sql))
    bound = {name: value for name, value in (params or {}).items() if name in used}
    return conn.sql(sql, params=bound).pl()


def check_grain(grain: str) -> Grain:
    if grain not in GRAINS:
        raise MetricInputError(f"unknown grain {grain!r}: use one of {', '.join(GRAINS)}")
    return grain  # type: ignore[return-value]
