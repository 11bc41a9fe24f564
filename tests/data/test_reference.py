"""The reference loaders return typed, consistent frames the generator, ETL and models share."""

from __future__ import annotations

import polars as pl

from data import reference
from ops.schema import DEVICE_CATEGORIES, DEVICE_CLASSES


def test_faults_has_one_row_per_code_with_the_documented_columns():
    faults = reference.faults()
    assert faults.columns == [
        "code",
        "name",
        "device_categories",
        "repair_type",
        "part_category",
        "description",
    ]
    assert faults["code"].is_unique().all()
    assert faults.height == 22


def test_fault_categories_lists_every_category_a_fault_occurs_on():
    pairs = reference.fault_categories()
    assert set(pairs["category"]) <= set(DEVICE_CATEGORIES)
    assert pairs.filter(pl.col("code") == "controller_drift")["category"].to_list() == [
        "game_console"
    ]
    assert pairs.height == reference.price_list().height // len(DEVICE_CLASSES)


def test_fault_codes_is_the_set_of_taxonomy_codes():
    assert "cracked_screen" in reference.fault_codes()
    assert "craked_screen" not in reference.fault_codes()


def test_device_models_have_dates_and_known_categories_and_classes():
    models = reference.device_models()
    assert models.schema["release_date"] == pl.Date
    assert set(models["category"]) == set(DEVICE_CATEGORIES)
    assert set(models["device_class"]) <= set(DEVICE_CLASSES)
    assert models.select(pl.struct("brand", "model").is_unique().all()).item()


def test_every_part_fits_a_catalogued_model():
    parts = reference.parts()
    orphans = parts.join(reference.device_models(), on=["brand", "model"], how="anti")
    assert parts["sku"].is_unique().all()
    assert orphans.is_empty()


def test_price_list_covers_each_fault_category_and_class_with_ordered_prices():
    prices = reference.price_list()
    assert prices.select(
        pl.struct("fault_code", "category", "device_class").is_unique().all()
    ).item()
    assert prices.filter(
        (pl.col("labour_price_eur") > pl.col("price_low_eur"))
        | (pl.col("price_low_eur") > pl.col("price_high_eur"))
    ).is_empty()


def test_loaders_are_cached():
    assert reference.faults() is reference.faults()
    assert reference.parts() is reference.parts()
