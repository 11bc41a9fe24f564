"""What each candidate fault would mean for the customer: repair type, parts, price and bench time.

Price ranges and minutes come from history (10th–90th percentile of the final ``price_eur`` and
the median ``labour_minutes`` of completed repairs of that fault × category × device class), with
the shop price list as the fallback where history is thin. Parts come from the reference catalogue:
the SKU of the fault's part category for that device model.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import polars as pl

from data import reference

MIN_HISTORY = 5  # fewer priced repairs than this and the price list is the better guide
ANY_CLASS = "*"


@dataclass(frozen=True)
class Quote:
    price_low: float | None
    price_high: float | None
    minutes: float | None
    source: str  # history | price list | none


@dataclass(frozen=True)
class Part:
    sku: str
    name: str
    part_category: str
    unit_cost_eur: float
    lead_time_days: int


def price_table(rows: pl.DataFrame) -> list[list]:
    """[fault, category, class, p10 price, p90 price, median minutes, count] per group with enough
    history; ``class`` ``*`` pools the device classes (for models the catalogue does not know)."""
    priced = rows.filter(pl.col("price_eur") > 0)
    stats = [
        pl.col("price_eur").quantile(0.1, "linear").alias("low"),
        pl.col("price_eur").quantile(0.9, "linear").alias("high"),
        pl.col("labour_minutes").median().alias("minutes"),
        pl.len().alias("count"),
    ]
    by_class = priced.group_by("fault_code", "category", "device_class").agg(stats)
    pooled = (
        priced.group_by("fault_code", "category")
        .agg(stats)
        .with_columns(device_class=pl.lit(ANY_CLASS))
        .select(by_class.columns)
    )
    table = pl.concat([by_class, pooled]).filter(pl.col("count") >= MIN_HISTORY)
    return [
        [f, c, k, round(lo, 2), round(hi, 2), float(m), int(n)]
        for f, c, k, lo, hi, m, n in table.sort(
            "fault_code", "category", "device_class"
        ).iter_rows()
    ]


def quote(table: dict[tuple[str, str, str], tuple[float, float, float]], fault: str, category: str,
          device_class: str | None) -> Quote:  # fmt: skip
    """The price range and minutes for one candidate, from history or else the price list."""
    for key in ((fault, category, device_class or ANY_CLASS), (fault, category, ANY_CLASS)):
        if key in table:
            low, high, minutes = table[key]
            return Quote(low, high, minutes, "history")
    listed = _price_list().get((fault, category, device_class or "mid"))
    if listed is None:
        return Quote(None, None, None, "none")
    return Quote(*listed, source="price list")


def parts_for(fault: str, brand: str | None, model: str | None) -> list[Part]:
    """The catalogue part the fault's repair consumes for this device model (empty when the fault
    uses no part or the model is unknown)."""
    category = _part_category().get(fault)
    if category in (None, "none") or model is None:
        return []
    found = _parts().get((brand, model, category))
    return [found] if found else []


@cache
def repair_types() -> dict[str, str]:
    return dict(reference.faults().select("code", "repair_type").iter_rows())


@cache
def _part_category() -> dict[str, str]:
    return dict(reference.faults().select("code", "part_category").iter_rows())


@cache
def _parts() -> dict[tuple[str, str, str], Part]:
    return {
        (r["brand"], r["model"], r["part_category"]): Part(
            r["sku"], r["name"], r["part_category"], r["unit_cost_eur"], r["lead_time_days"]
        )
        for r in reference.parts().iter_rows(named=True)
    }


@cache
def _price_list() -> dict[tuple[str, str, str], tuple[float, float, float]]:
    return {
        (r["fault_code"], r["category"], r["device_class"]): (
            r["price_low_eur"],
            r["price_high_eur"],
            float(r["labour_minutes"]),
        )
        for r in reference.price_list().iter_rows(named=True)
    }
