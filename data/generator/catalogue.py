"""The catalogue tables (device models, parts, part compatibility) and the lookups the simulation
needs from the reference data: which faults a model can have, which part fixes it, what it costs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from data import reference
from data.generator.config import HistoryWindow
from ops.schema import DEVICE_CATEGORIES, DEVICE_CLASSES

NO_PART = "none"


@dataclass(frozen=True)
class Catalogue:
    """Reference data as arrays indexed by position: model ``m`` is device_models.id ``m + 1``,
    part ``p`` is parts.id ``p + 1``, fault ``f`` is ``fault_codes[f]``."""

    device_models: pl.DataFrame
    parts: pl.DataFrame
    part_compatibility: pl.DataFrame
    fault_codes: tuple[str, ...]
    repair_types: tuple[str, ...]  # per fault
    model_category: np.ndarray  # [model] index into DEVICE_CATEGORIES
    model_class: np.ndarray  # [model] index into DEVICE_CLASSES
    model_release_day: np.ndarray  # [model] day index of release (negative: before the history)
    model_launch_price: np.ndarray  # [model] EUR
    model_price_position: np.ndarray  # [model] 0..1 rank of launch price within category × class
    model_names: tuple[str, ...]
    model_brands: tuple[str, ...]
    fault_possible: np.ndarray  # [model, fault] bool: the category has the fault and a part exists
    fault_part: np.ndarray  # [model, fault] part index fixing it, -1 when the fault uses no part
    part_lead_days: np.ndarray  # [part]
    part_cost: np.ndarray  # [part] EUR
    labour_minutes: np.ndarray  # [fault, category, class]; 0 where the fault cannot occur
    price_low: np.ndarray  # [fault, category, class] EUR
    price_high: np.ndarray  # [fault, category, class] EUR

    @property
    def n_faults(self) -> int:
        return len(self.fault_codes)

    def fault_index(self, code: str) -> int:
        return self.fault_codes.index(code)


def build_catalogue(window: HistoryWindow) -> Catalogue:
    models = reference.device_models()
    faults = reference.faults()
    parts = reference.parts()
    prices = reference.price_list()

    model_key = {
        (b, m): i for i, (b, m) in enumerate(zip(models["brand"], models["model"], strict=True))
    }
    category = np.array([DEVICE_CATEGORIES.index(c) for c in models["category"]])
    klass = np.array([DEVICE_CLASSES.index(c) for c in models["device_class"]])
    release_day = np.array([window.day_of(d) for d in models["release_date"]])
    codes = tuple(faults["code"])
    part_categories = list(faults["part_category"])

    part_model = np.array(
        [model_key[(b, m)] for b, m in zip(parts["brand"], parts["model"], strict=True)]
    )
    part_of = {
        (int(m), pc): p
        for p, (m, pc) in enumerate(zip(part_model, parts["part_category"], strict=True))
    }
    fault_part = np.full((len(models), len(codes)), -1)
    possible = np.zeros((len(models), len(codes)), bool)
    fault_cats = reference.fault_categories()
    allowed = {(c, cat) for c, cat in zip(fault_cats["code"], fault_cats["category"], strict=True)}
    for m in range(len(models)):
        cat = DEVICE_CATEGORIES[category[m]]
        for f, code in enumerate(codes):
            if (code, cat) not in allowed:
                continue
            if part_categories[f] == NO_PART:
                possible[m, f] = True
            elif (m, part_categories[f]) in part_of:
                possible[m, f] = True
                fault_part[m, f] = part_of[(m, part_categories[f])]

    shape = (len(codes), len(DEVICE_CATEGORIES), len(DEVICE_CLASSES))
    labour, low, high = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    for row in prices.iter_rows(named=True):
        key = (
            codes.index(row["fault_code"]),
            DEVICE_CATEGORIES.index(row["category"]),
            DEVICE_CLASSES.index(row["device_class"]),
        )
        labour[key], low[key], high[key] = (
            row["labour_minutes"],
            row["price_low_eur"],
            row["price_high_eur"],
        )

    written = dt.datetime.combine(window.start, dt.time(6)) - dt.timedelta(days=60)
    return Catalogue(
        device_models=_device_models_table(models, written),
        parts=_parts_table(parts, written),
        part_compatibility=pl.DataFrame(
            {
                "part_id": np.arange(1, parts.height + 1),
                "device_model_id": part_model + 1,
                "created_at": written,
                "updated_at": written,
            }
        ),
        fault_codes=codes,
        repair_types=tuple(faults["repair_type"]),
        model_category=category,
        model_class=klass,
        model_release_day=release_day,
        model_launch_price=models["launch_price_eur"].to_numpy(),
        model_price_position=_price_position(models),
        model_names=tuple(models["model"]),
        model_brands=tuple(models["brand"]),
        fault_possible=possible,
        fault_part=fault_part,
        part_lead_days=parts["lead_time_days"].to_numpy(),
        part_cost=parts["unit_cost_eur"].to_numpy(),
        labour_minutes=labour,
        price_low=low,
        price_high=high,
    )


def _price_position(models: pl.DataFrame) -> np.ndarray:
    """Where a model's launch price sits within its category and class (0 cheapest, 1 dearest)."""
    return models.select(
        position=(
            (pl.col("launch_price_eur").rank("average").over("category", "device_class") - 0.5)
            / pl.len().over("category", "device_class")
        )
    )["position"].to_numpy()


def _device_models_table(models: pl.DataFrame, written: dt.datetime) -> pl.DataFrame:
    return models.select(
        id=pl.int_range(1, pl.len() + 1, dtype=pl.Int64),
        brand="brand",
        model="model",
        category="category",
        device_class="device_class",
        release_date="release_date",
        launch_price_eur=pl.col("launch_price_eur").cast(pl.Decimal(10, 2)),
        # The whole reference catalogue is loaded when the system is set up, before the history.
        created_at=pl.lit(written),
        updated_at=pl.lit(written),
    )


def _parts_table(parts: pl.DataFrame, written: dt.datetime) -> pl.DataFrame:
    return parts.select(
        id=pl.int_range(1, pl.len() + 1, dtype=pl.Int64),
        sku="sku",
        name="name",
        part_category="part_category",
        unit_cost_eur=pl.col("unit_cost_eur").cast(pl.Decimal(10, 2)),
        lead_time_days="lead_time_days",
        supplier="supplier",
        created_at=pl.lit(written),
        updated_at=pl.lit(written),
    )
