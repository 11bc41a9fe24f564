"""Parts inventory: the formulas worked by hand, the reorder plan on small frames, alerts, the
purchase-order list, and the backtest of the policy against the shops' fixed min/max rule."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.settings import Settings
from models.inventory import (
    PolicySettings,
    backtest_policies,
    demand_matrix,
    demand_rates,
    inventory_report,
    policy,
    purchase_orders,
    reorder_alerts,
    reorder_plan,
)
from models.inventory.data import (
    daily_usage,
    inventory_days,
    recent_use,
    reorder_crossings,
    stock_date,
)
from models.inventory.plan import crossing_days, rates_from_sums
from models.inventory.report import inventory_backtest, stored_backtest
from warehouse.reader import connect_read_only, warehouse_version

AS_OF = date(2026, 6, 30)


# ---- formulas --------------------------------------------------------------------------------


def test_reorder_point_covers_lead_time_demand_plus_z_spreads() -> None:
    # 4 a day with sd 3 over 4 days: mean 16, spread 3 × 2 = 6; 16 + 1.645 × 6 = 25.87 → 26.
    assert policy.reorder_point(4.0, 3.0, 4, 0.95) == 26
    assert policy.safety_stock(4.0, 3.0, 4, 0.95) == pytest.approx(10.0)


def test_slow_parts_take_the_poisson_quantile_of_lead_time_demand() -> None:
    # 0.1 a day over 4 days: Poisson(0.4); P(≤1) = 0.938 < 0.95 ≤ P(≤2) = 0.992 → 2.
    assert policy.reorder_point(0.1, 0.0, 4, 0.95) == 2
    # 0.01 a day over 4 days: P(0) = e^-0.04 = 0.961 ≥ 0.95 → nothing held.
    assert policy.reorder_point(0.01, 0.0, 4, 0.95) == 0
    assert policy.reorder_point(0.0, 0.0, 4, 0.95) == 0


def test_the_daily_spread_is_at_least_the_poisson_one() -> None:
    np.testing.assert_allclose(policy.demand_sd([4.0, 4.0], [1.0, 3.0]), [2.0, 3.0])


def test_economic_order_quantity_by_hand() -> None:
    # sqrt(2 × 1000 × 5 / (0.25 × 40)) = sqrt(1000) = 31.6 → 32.
    assert policy.economic_order_quantity(1000, 5.0, 0.25, 40.0) == 32
    assert policy.economic_order_quantity(0, 5.0, 0.25, 40.0) == 1


def test_service_level_is_capped_where_stock_stops_paying_for_itself() -> None:
    # €150 part used twice a year, ordered one at a time: holding 0.25 × 150 × 1 = €37.5 against
    # €20 × 2 = €40 of shortages: 1 − 37.5 / 40 = 0.0625. A €10 part used 50 times a year in
    # batches of 22: 1 − 2.5 × 22 / 1000 = 0.945. A busy part keeps the target.
    levels = policy.cost_capped_service_level(
        0.95, [1, 22, 40], [2, 50, 2000], [150.0, 10.0, 10.0], 0.25, 20.0
    )
    np.testing.assert_allclose(levels, [0.0625, 0.945, 0.95])
    assert policy.reorder_point(2 / 365, 0.0, 4, levels[0]) == 0


def test_periodic_review_orders_up_to_cover_lead_time_plus_review() -> None:
    # 4 a day, sd 3, lead 2 + review 7 = 9 days: 36 + 1.645 × 3 × 3 = 50.8 → 51.
    assert policy.order_up_to_level(4.0, 3.0, 2, 7, 0.95) == 51


@pytest.mark.parametrize(
    ("position", "reorder_at", "batch", "rate", "expected"),
    [
        pytest.param(3, 5, 4, 1.0, 4, id="one batch lifts 3 above 5"),
        pytest.param(-6, 5, 4, 1.0, 12, id="three batches lift -6 above 5"),
        pytest.param(6, 5, 4, 1.0, 0, id="above the reorder point: nothing"),
        pytest.param(-2, 0, 4, 0.0, 2, id="no demand expected: only the waiting repairs"),
        pytest.param(0, 0, 4, 0.0, 0, id="no demand and nobody waiting: nothing"),
    ],
)
def test_order_quantity_needed(position, reorder_at, batch, rate, expected) -> None:
    assert policy.order_quantity_needed(position, reorder_at, batch, rate) == expected


def test_days_of_cover_and_stockout_risk_by_hand() -> None:
    np.testing.assert_allclose(policy.days_of_cover([10, 0, 5], [0.5, 1.0, 0.0]), [20, 0, np.inf])
    # Normal: position 20 against mean 16, spread 6: P(Z > (20.5 - 16) / 6 = 0.75) = 0.2266.
    assert policy.stockout_risk(20, 4.0, 3.0, 4) == pytest.approx(0.2266, abs=1e-4)
    # Poisson(0.4) above 1: 1 - 0.938 = 0.0616.
    assert policy.stockout_risk(1, 0.1, 0.0, 4) == pytest.approx(0.0616, abs=1e-4)


def test_service_level_outside_its_range_is_refused() -> None:
    with pytest.raises(ValueError, match="service level"):
        PolicySettings(service_level=1.2)


# ---- the plan on small frames -------------------------------------------------------------------


def _positions(**columns) -> pd.DataFrame:
    base = {
        "store_id": [1],
        "part_id": [7],
        "sku": ["PH-X-DSP"],
        "part_name": ["X display"],
        "part_category": ["display_assembly"],
        "supplier": ["Parts Co"],
        "unit_cost_eur": [40.0],
        "lead_time_days": [4],
        "on_hand": [10],
        "on_order": [5],
        "shop_min": [8],
        "shop_max": [20],
    }
    base.update({key: [value] for key, value in columns.items()})
    return pd.DataFrame(base)


def _usage(per_day: list[int], store: int = 1, part: int = 7) -> pd.DataFrame:
    days = pd.date_range(end=AS_OF, periods=len(per_day), freq="D")
    return pd.DataFrame(
        {"store_id": store, "part_id": part, "used_date": days, "quantity": per_day}
    )


def test_demand_rates_count_days_without_use_as_zero() -> None:
    rates = demand_rates(_usage([2, 0, 4, 0] * 5), AS_OF, history_days=20)
    row = rates.iloc[0]
    assert row.rate == pytest.approx(1.5)
    assert row.sd == pytest.approx(np.sqrt((4 + 16) / 4 - 1.5**2))


def test_plan_row_by_hand() -> None:
    usage = _usage([4] * 90)  # 4 a day, no spread: the Poisson spread 2 applies
    plan = reorder_plan(_positions(), demand_rates(usage, AS_OF, 90), AS_OF)
    row = plan.iloc[0]
    assert row.lead_time_demand == pytest.approx(16)
    # Spread 2 × 2 = 4, variance 16 ≤ mean 16 → Poisson(16): P(≤22) = 0.942, P(≤23) = 0.963.
    assert row.reorder_point == 23
    assert row.order_quantity == 38  # sqrt(2 × 1460 a year × €5 / (25 % × €40)) = 38.2
    assert row.position == 15
    assert row.suggested_order == row.order_quantity
    assert row.days_of_cover == pytest.approx(2.5)
    assert row.inventory_value_eur == pytest.approx(400)
    assert row.is_below_reorder_point and row.stock_class == "active"


def test_a_store_forecast_scales_consumption() -> None:
    usage = _usage([4] * 90)
    factors = pd.Series({1: 1.5})
    plan = reorder_plan(_positions(), demand_rates(usage, AS_OF, 90), AS_OF, factors=factors)
    assert plan.iloc[0].daily_demand == pytest.approx(6.0)


def test_a_stocked_part_without_use_yet_keeps_the_shops_min_max() -> None:
    plan = reorder_plan(
        _positions(on_hand=3, on_order=0), demand_rates(_usage([]), AS_OF, 90), AS_OF
    )
    row = plan.iloc[0]
    assert row.is_cold_start
    # Shops order below their minimum (8) up to their maximum (20).
    assert (row.reorder_point, row.suggested_order) == (7, 13)


def test_dead_and_slow_stock() -> None:
    positions = pd.concat(
        [_positions(part_id=1, on_hand=3), _positions(part_id=2, on_hand=30)], ignore_index=True
    )
    usage = pd.concat(
        [
            _usage([1] + [0] * 299, part=1),  # last used 300 days ago
            _usage([0, 0, 0, 0, 0, 0, 0, 0, 0, 1] * 9, part=2),  # 0.1 a day: 300 days of cover
        ]
    )
    plan = reorder_plan(positions, demand_rates(usage, AS_OF, 90), AS_OF)
    assert list(plan["stock_class"]) == ["dead", "slow"]


def test_purchase_orders_list_only_lines_to_order_by_supplier() -> None:
    positions = pd.concat(
        [
            _positions(part_id=1, supplier="B", on_hand=0, on_order=0),
            _positions(part_id=2, supplier="A", on_hand=0, on_order=0),
            _positions(part_id=3, supplier="A", on_hand=500, on_order=0),
        ],
        ignore_index=True,
    )
    usage = pd.concat([_usage([4] * 90, part=p) for p in (1, 2, 3)])
    orders = purchase_orders(reorder_plan(positions, demand_rates(usage, AS_OF, 90), AS_OF))
    assert list(orders["supplier"]) == ["A", "B"]
    assert (orders["quantity"] == 38).all()
    assert orders["line_value_eur"].tolist() == [38 * 40.0, 38 * 40.0]


def test_an_alert_says_when_stock_on_hand_crossed_the_reorder_point() -> None:
    plan = reorder_plan(
        _positions(on_hand=20, on_order=0), demand_rates(_usage([4] * 90), AS_OF, 90), AS_OF
    )
    days = pd.DataFrame(
        {
            "store_id": 1,
            "part_id": 7,
            "inventory_date": pd.date_range(end=AS_OF, periods=4, freq="D"),
            "quantity_on_hand": [40, 30, 22, 20],
        }
    )
    alerts = reorder_alerts(plan, days)
    assert len(alerts) == 1
    assert alerts.iloc[0].crossed_on == pd.Timestamp("2026-06-29")
    assert alerts.iloc[0].alert == (
        "Store 1: X display (PH-X-DSP) has 20 on hand and 0 on order, reorder point 23, "
        "crossed on 2026-06-29: order 38"
    )


# ---- backtest --------------------------------------------------------------------------------


def _planted(days: int = 400, rate: float = 2.0, seed: int = 1) -> pd.DataFrame:
    quantity = np.random.default_rng(seed).poisson(rate, days)
    used = pd.date_range("2025-01-01", periods=days, freq="D")
    return pd.DataFrame({"store_id": 1, "part_id": 7, "used_date": used, "quantity": quantity})


def test_the_policy_beats_a_badly_set_min_max_on_stockouts_and_holding_cost() -> None:
    # 2 a day with a 7-day lead time: a minimum of 2 runs out before every delivery arrives,
    # and a maximum of 150 holds two and a half months of stock.
    positions = _positions(lead_time_days=7, shop_min=2, shop_max=150, unit_cost_eur=20.0)
    demand, calendar = demand_matrix(_planted(), positions)
    result = backtest_policies(demand, calendar, positions)
    assert result.days == 400 - 90
    assert result.policy.units_demanded == result.min_max.units_demanded
    assert result.policy.units_short < result.min_max.units_short / 5
    assert result.policy.holding_cost_eur < result.min_max.holding_cost_eur
    assert result.policy.total_cost_eur < result.min_max.total_cost_eur


def test_a_generous_min_max_on_steady_demand_never_runs_out() -> None:
    positions = _positions(lead_time_days=2, shop_min=10, shop_max=20)
    usage = _planted(days=200, rate=1.0).assign(quantity=1)
    demand, calendar = demand_matrix(usage, positions)
    result = backtest_policies(demand, calendar, positions)
    assert result.min_max.units_short == 0
    assert result.min_max.fill_rate == 1.0
    # Orders when below 10 (at 9) up to 20: one order every 11 days over 110 days.
    assert result.min_max.orders == 10


# ---- on the warehouse ------------------------------------------------------------------------


def test_the_report_on_the_warehouse_plans_every_stocked_pair_and_replays_the_history(
    built_data_dir: Path,
) -> None:
    report = inventory_report(Settings(data_dir=built_data_dir))
    plan = report.plan
    assert len(plan) > 100 and plan[["store_id", "part_id"]].duplicated().sum() == 0
    assert (plan["reorder_point"] >= 0).all() and (plan["order_quantity"] >= 1).all()
    assert set(plan["stock_class"]) <= {"active", "slow", "dead"}
    assert len(report.orders) == int((plan["suggested_order"] > 0).sum())
    assert report.forecast_version is None
    backtest = report.backtest
    assert backtest.pairs == len(plan) and backtest.days > 200
    assert backtest.policy.units_demanded == backtest.min_max.units_demanded > 0


def test_the_warehouse_aggregates_part_use_as_the_in_memory_rates_do(built_data_dir: Path) -> None:
    connection = connect_read_only(Settings(data_dir=built_data_dir))
    try:
        as_of = stock_date(connection)
        in_memory = demand_rates(daily_usage(connection), as_of, 90)
        in_warehouse = rates_from_sums(recent_use(connection, as_of, 90), 90)
    finally:
        connection.close()
    keys = ["store_id", "part_id"]
    merged = in_memory.merge(in_warehouse, on=keys, how="left", suffixes=("", "_sql"))
    assert merged["rate_sql"].notna().all()
    for column in ("rate", "sd", "used_units"):
        assert merged[f"{column}_sql"].to_numpy(float) == pytest.approx(
            merged[column].to_numpy(float)
        )
    last = pd.to_datetime(merged["last_used_date"])
    assert (last.isna() | (last == pd.to_datetime(merged["last_used_date_sql"]))).all()


def test_the_warehouse_finds_the_same_reorder_crossings_as_the_daily_table_rule(
    built_data_dir: Path,
) -> None:
    report = inventory_report(Settings(data_dir=built_data_dir), backtest=False)
    below = report.plan[report.plan["is_below_reorder_point"]]
    connection = connect_read_only(Settings(data_dir=built_data_dir))
    try:
        in_warehouse = reorder_crossings(connection, below)
        in_memory = crossing_days(inventory_days(connection, below), below)
    finally:
        connection.close()
    assert len(in_memory) > 0
    assert (
        pd.to_datetime(in_warehouse)
        .sort_index()
        .equals(pd.to_datetime(in_memory).rename(in_warehouse.name).sort_index())
    )
    assert len(report.alerts) == len(below)


def test_the_poisson_quantile_matches_scipy_on_many_parts() -> None:
    from scipy.stats import poisson

    rng = np.random.default_rng(3)
    mean = np.concatenate([rng.exponential(0.5, 5000), rng.uniform(0, 200, 500)])
    level = np.clip(rng.uniform(0, 1, len(mean)) ** 0.2, 1e-9, 1 - 1e-9)
    points = policy.reorder_point(mean, np.sqrt(mean), 1, level)
    assert (points == poisson.ppf(level, mean)).all()


def test_training_a_forecast_keeps_the_default_policy_backtest_for_the_page(
    trained_forecast_dir: Path,
) -> None:
    settings = Settings(data_dir=trained_forecast_dir)
    version = warehouse_version(settings)
    kept = stored_backtest(settings, 1, version, PolicySettings())
    assert kept is not None
    replayed = inventory_backtest(settings)
    assert kept.table().equals(replayed.table())
    assert (kept.days, kept.pairs, kept.first_day, kept.last_day) == (
        replayed.days, replayed.pairs, replayed.first_day, replayed.last_day
    )  # fmt: skip
    # Another policy, or a warehouse published since, has to be replayed afresh.
    assert stored_backtest(settings, 1, version, PolicySettings(service_level=0.9)) is None
    assert stored_backtest(settings, 1, "another-version", PolicySettings()) is None


def test_a_production_forecast_scales_each_stores_consumption_on_the_warehouse(
    trained_forecast_dir: Path,
) -> None:
    report = inventory_report(Settings(data_dir=trained_forecast_dir), backtest=False)
    assert report.forecast_version == 1
    factors = report.plan.groupby("store_id")["forecast_factor"].first()
    assert len(factors) == 2
    assert ((factors >= 0.5) & (factors <= 2) & (factors != 1.0)).all()
