"""The next-repair model, rule offers, ranking and the offline hit-rate evaluation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from models.churn.features import cutoff_time
from models.clv.history import visits

SMOOTHING = 200.0
AGE_BREAKS = [1.0, 2.0, 3.0, 4.0]
AGE_LABELS = ["<1", "1-2", "2-3", "3-4", "4+"]
TRADE_IN_AGE = 4.0
WARRANTY_DAYS = 90
CHECK_UP_NOTICE_DAYS = 30
BATTERY_WORDS = r"batt|battery|drain|charge|dies|swollen|percent|%"

# Rule offers: (price € to the shop, expected take-up when offered, reason shown).
OFFERS: dict[str, tuple[float, float, str]] = {
    "screen_protection": (25.0, 0.30, "protect the new screen"),
    "trade_in": (60.0, 0.10, "device is {age:.0f} years old: trade it in"),
    "warranty_check_up": (15.0, 0.40, "repair warranty ends {ends}: free check-up before then"),
    "battery_check": (20.0, 0.25, "mentioned the battery at the last visit"),
}


@dataclass(frozen=True)
class NextRepairModel:
    """Smoothed counts of repair types by (category, age bin, last type) and coarser groups."""

    by_last: pl.DataFrame  # category, age_bin, last_type, repair_type, n
    by_age: pl.DataFrame  # category, age_bin, repair_type, n
    by_category: pl.DataFrame  # category, repair_type, n
    overall: pl.DataFrame  # repair_type, all_repairs, mean_revenue_eur, n, p

    @property
    def popularity(self) -> list[str]:
        """Repair types by how often they were done: the baseline ranking."""
        return self.overall.sort("all_repairs", descending=True)["repair_type"].to_list()


def _age_bin(column: str = "device_age_years") -> pl.Expr:
    age = pl.col(column).fill_null(0)
    expression = pl.when(age < AGE_BREAKS[0]).then(pl.lit(AGE_LABELS[0]))
    for upper, label in zip(AGE_BREAKS[1:], AGE_LABELS[1:-1], strict=True):
        expression = expression.when(age < upper).then(pl.lit(label))
    return expression.otherwise(pl.lit(AGE_LABELS[-1]))


def fit_next_repair(repairs: pl.DataFrame) -> NextRepairModel:
    """Count next repair types from consecutive visit pairs, keyed by the earlier visit's device
    category, that device's age when the next visit came and the earlier repair type.

    Pairs, not single visits, because a returning customer often brings another device: what a
    laptop owner comes back with is not just the laptop repair mix.
    """
    chosen = visits(repairs).filter(pl.col("repair_type").is_not_null()).sort("received_at")
    previous = pl.col("received_date").shift(1).over("customer_id")
    pairs = chosen.with_columns(
        pl.col("device_category").shift(1).over("customer_id").alias("category"),
        (
            pl.col("device_age_years").shift(1).over("customer_id").fill_null(0)
            + (pl.col("received_date") - previous).dt.total_days() / 365.25
        ).alias("previous_age"),
        pl.col("repair_type").shift(1).over("customer_id").alias("last_type"),
    ).filter(pl.col("last_type").is_not_null())
    pairs = pairs.with_columns(_age_bin("previous_age").alias("age_bin"))
    popularity = chosen.group_by("repair_type").agg(
        pl.len().alias("all_repairs"), pl.col("revenue_eur").mean().alias("mean_revenue_eur")
    )
    overall = (
        popularity.join(pairs.group_by("repair_type").len("n"), on="repair_type", how="left")
        .with_columns(pl.col("n").fill_null(0))
        .with_columns(((pl.col("n") + 1) / (pl.col("n") + 1).sum()).alias("p"))
    )
    return NextRepairModel(
        by_last=pairs.group_by("category", "age_bin", "last_type", "repair_type").len("n"),
        by_age=pairs.group_by("category", "age_bin", "repair_type").len("n"),
        by_category=pairs.group_by("category", "repair_type").len("n"),
        overall=overall,
    )


def _smooth(fine: pl.DataFrame, keys: list[str], prior: str) -> pl.Expr:
    """(n + k · prior) / (N + k), N the group total."""
    total = pl.col("n").fill_null(0).sum().over(keys)
    return (pl.col("n").fill_null(0) + SMOOTHING * pl.col(prior)) / (total + SMOOTHING)


def repair_probabilities(model: NextRepairModel, profiles: pl.DataFrame) -> pl.DataFrame:
    """For each profile row (``customer_id, category, age_bin, last_type``): one row per repair
    type with ``p`` = P(next repair is of that type), summing to 1 per customer."""
    types = model.overall.select("repair_type", pl.col("p").alias("p_overall"))
    grid = profiles.join(types, how="cross")
    grid = (
        grid.join(model.by_category, on=["category", "repair_type"], how="left")
        .with_columns(_smooth(grid, ["customer_id"], "p_overall").alias("p_category"))
        .drop("n")
    )
    grid = (
        grid.join(model.by_age, on=["category", "age_bin", "repair_type"], how="left")
        .with_columns(_smooth(grid, ["customer_id"], "p_category").alias("p_age"))
        .drop("n")
    )
    grid = (
        grid.join(model.by_last, on=["category", "age_bin", "last_type", "repair_type"], how="left")
        .with_columns(_smooth(grid, ["customer_id"], "p_age").alias("p"))
        .drop("n")
    )
    return grid.select("customer_id", "repair_type", "p").with_columns(
        pl.col("p") / pl.col("p").sum().over("customer_id")
    )


def profiles_at(repairs: pl.DataFrame, cutoff: date) -> pl.DataFrame:
    """Each customer's last visit before the cutoff: device, its age at the cutoff, last repair."""
    known = cutoff_time(cutoff)
    chosen = visits(repairs).filter(pl.col("received_at") < known).sort("received_at")
    last = chosen.group_by("customer_id").agg(pl.all().last())
    elapsed = (pl.lit(cutoff) - pl.col("received_date")).dt.total_days() / 365.25
    return last.select(
        "customer_id",
        pl.col("device_category").alias("category"),
        (pl.col("device_age_years").fill_null(0) + elapsed).alias("device_age_years"),
        pl.col("repair_type").fill_null("unknown").alias("last_type"),
        pl.col("received_date").alias("last_visit_date"),
        pl.col("collected_date"),
        pl.col("reported_symptoms"),
        "device_brand",
        "device_model",
    ).with_columns(_age_bin().alias("age_bin"))


def rule_offers(profiles: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Rule offers per customer: ``customer_id, item, expected_value_eur, reason``."""
    rows: list[dict] = []
    for p in profiles.iter_rows(named=True):
        customer = p["customer_id"]
        if p["last_type"] in {"screen_replacement", "digitizer_replacement"}:
            rows.append(_offer(customer, "screen_protection"))
        if (p["device_age_years"] or 0) >= TRADE_IN_AGE:
            rows.append(_offer(customer, "trade_in", age=p["device_age_years"]))
        collected = p["collected_date"]
        if collected is not None:
            ends = collected + timedelta(days=WARRANTY_DAYS)
            if as_of <= ends <= as_of + timedelta(days=CHECK_UP_NOTICE_DAYS):
                rows.append(_offer(customer, "warranty_check_up", ends=ends.isoformat()))
        symptoms = (p["reported_symptoms"] or "").lower()
        if p["last_type"] != "battery_replacement" and _mentions_battery(symptoms):
            rows.append(_offer(customer, "battery_check"))
    schema = {
        "customer_id": pl.Int64,
        "item": pl.String,
        "expected_value_eur": pl.Float64,
        "reason": pl.String,
    }
    return pl.DataFrame(rows, schema=schema)


def _mentions_battery(text: str) -> bool:
    return re.search(BATTERY_WORDS, text) is not None


def _offer(customer: int, item: str, **values: object) -> dict:
    price, take_up, reason = OFFERS[item]
    return {
        "customer_id": customer,
        "item": item,
        "expected_value_eur": price * take_up,
        "reason": reason.format(**values),
    }


def recommend(
    model: NextRepairModel,
    repairs: pl.DataFrame,
    as_of: date,
    return_probability: pl.DataFrame | None = None,
    top: int = 3,
) -> pl.DataFrame:
    """Per customer the ``top`` items by expected value: ``customer_id, rank, item, kind,
    probability, expected_value_eur, reason``.

    ``return_probability`` (``customer_id, p_return``), e.g. 1 − the churn score, scales the
    repair items; without it the overall share of customers who came back within a year is used.
    """
    profiles = profiles_at(repairs, as_of)
    if profiles.is_empty():
        return pl.DataFrame(
            schema={
                "customer_id": pl.Int64,
                "rank": pl.UInt32,
                "item": pl.String,
                "kind": pl.String,
                "probability": pl.Float64,
                "expected_value_eur": pl.Float64,
                "reason": pl.String,
            }
        )
    if return_probability is None:
        return_probability = profiles.select("customer_id").with_columns(
            pl.lit(_yearly_return_share(repairs)).alias("p_return")
        )
    repairs_ranked = (
        repair_probabilities(model, profiles)
        .join(return_probability, on="customer_id", how="left")
        .join(model.overall.select("repair_type", "mean_revenue_eur"), on="repair_type")
        .join(profiles.select("customer_id", "category", "age_bin"), on="customer_id")
        .with_columns(
            pl.lit("repair").alias("kind"),
            (pl.col("p_return").fill_null(0) * pl.col("p") * pl.col("mean_revenue_eur")).alias(
                "expected_value_eur"
            ),
            pl.format("likely next repair for a {} of {} years", "category", "age_bin").alias(
                "reason"
            ),
        )
        .select(
            "customer_id",
            pl.col("repair_type").alias("item"),
            "kind",
            pl.col("p").alias("probability"),
            "expected_value_eur",
            "reason",
        )
    )
    offers = (
        rule_offers(profiles, as_of)
        .with_columns(pl.lit("offer").alias("kind"), pl.lit(None, pl.Float64).alias("probability"))
        .select(repairs_ranked.columns)
    )
    return (
        pl.concat([repairs_ranked, offers])
        .sort(["customer_id", "expected_value_eur"], descending=[False, True])
        .with_columns(
            pl.int_range(1, pl.len() + 1).over("customer_id").cast(pl.UInt32).alias("rank")
        )
        .filter(pl.col("rank") <= top)
        .select(
            "customer_id", "rank", "item", "kind", "probability", "expected_value_eur", "reason"
        )
    )


def _yearly_return_share(repairs: pl.DataFrame) -> float:
    chosen = visits(repairs).sort("received_date")
    gaps = chosen.group_by("customer_id").agg(pl.col("received_date").diff().dt.total_days().min())
    returned = gaps["received_date"].fill_null(10**6) <= 365
    return float(returned.mean()) if gaps.height else 0.0


def evaluate_next_repair(
    repairs: pl.DataFrame, cutoff: date, horizon_days: int = 365, ks: tuple[int, ...] = (1, 3)
) -> dict[str, float]:
    """Hit rates at ``ks`` of the model and the popularity baseline on the next repair type of
    every customer who came back within ``horizon_days`` after ``cutoff``."""
    known = cutoff_time(cutoff)
    before = repairs.filter(pl.col("received_at") < known)
    model = fit_next_repair(before)
    after = (
        visits(repairs)
        .filter(
            (pl.col("received_at") >= known)
            & (pl.col("received_date") <= cutoff + timedelta(days=horizon_days))
            & pl.col("repair_type").is_not_null()
        )
        .sort("received_at")
        .group_by("customer_id")
        .agg(pl.col("repair_type").first().alias("actual"))
    )
    profiles = profiles_at(before, cutoff).join(after.select("customer_id"), on="customer_id")
    ranked = (
        repair_probabilities(model, profiles)
        .sort(["customer_id", "p"], descending=[False, True])
        .group_by("customer_id", maintain_order=True)
        .agg(pl.col("repair_type").alias("ranked"))
        .join(after, on="customer_id")
    )
    popular = model.popularity
    result: dict[str, float] = {"customers": float(ranked.height)}
    if ranked.is_empty():
        return result | {f"{p}hit_at_{k}": 0.0 for k in ks for p in ("", "popularity_")}
    for k in ks:
        hits = [
            actual in top[:k]
            for actual, top in zip(ranked["actual"], ranked["ranked"], strict=True)
        ]
        result[f"hit_at_{k}"] = float(sum(hits) / max(1, len(hits)))
        result[f"popularity_hit_at_{k}"] = float(ranked["actual"].is_in(popular[:k]).mean())
    return result
