"""Capacity planning arithmetic, worked by hand: forecast repairs × minutes per repair against the
technicians' scheduled hours, the week's status, and the moves and shifts recommended."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from core.settings import Settings
from models.forecasting import capacity
from warehouse.reader import connect_read_only

MONDAY = pd.Timestamp("2026-12-07")
STANDARD = pd.DataFrame(
    {"repair_type": ["screen_replacement", "battery_replacement"], "minutes": [60.0, 30.0]}
)


def _forecast(rows: list[tuple[str, float, float, float]], week=MONDAY) -> pd.DataFrame:
    return pd.DataFrame(
        [{"store": s, "ds": week, "yhat": y, "yhat_lower": lo, "yhat_upper": hi}
         for s, y, lo, hi in rows]
    )  # fmt: skip


def _capacity(hours: dict[str, float], week=MONDAY) -> pd.DataFrame:
    return pd.DataFrame([{"store": s, "ds": week, "capacity_hours": h} for s, h in hours.items()])


def test_minutes_per_repair_weigh_standard_minutes_by_the_store_mix() -> None:
    mix = pd.DataFrame(
        {
            "store": ["1", "1", "2"],
            "repair_type": ["screen_replacement", "battery_replacement", "battery_replacement"],
            "share": [0.5, 0.5, 1.0],
        }
    )
    per_repair = capacity.minutes_per_repair(mix, STANDARD)
    assert per_repair["1"] == pytest.approx(0.5 * 60 + 0.5 * 30)  # 45
    assert per_repair["2"] == pytest.approx(30)


def test_a_repair_type_without_standard_minutes_takes_the_median_standard() -> None:
    mix = pd.DataFrame({"store": ["1"], "repair_type": ["board_repair"], "share": [1.0]})
    assert capacity.minutes_per_repair(mix, STANDARD)["1"] == pytest.approx(45)


def test_hours_needed_are_forecast_repairs_times_minutes_with_the_same_bounds() -> None:
    plan = capacity.capacity_plan(
        _forecast([("1", 80, 60, 100)]), pd.Series({"1": 45.0}), _capacity({"1": 78})
    )
    row = plan.iloc[0]
    assert (row.hours_needed, row.hours_low, row.hours_high) == pytest.approx((60, 45, 75))
    assert row.utilisation == pytest.approx(60 / 78)
    assert row.status == "ok"


@pytest.mark.parametrize(
    ("repairs", "high", "status"),
    [
        pytest.param(120, 140, "over", id="forecast 90 h against 78 h"),
        pytest.param(100, 120, "at risk", id="75 h fits, the upper bound's 90 h does not"),
        pytest.param(80, 100, "ok", id="60 h, upper bound 75 h"),
        pytest.param(60, 70, "under", id="45 h is under 60 % of 78 h"),
    ],
)
def test_a_week_is_flagged_by_where_the_forecast_and_its_bound_fall(
    repairs: float, high: float, status: str
) -> None:
    plan = capacity.capacity_plan(
        _forecast([("1", repairs, repairs - 20, high)]),
        pd.Series({"1": 45.0}),
        _capacity({"1": 78}),
    )
    assert plan.iloc[0].status == status


def test_scheduled_hours_count_technicians_employed_that_week() -> None:
    staff = pd.DataFrame(
        {
            "store": ["1", "1", "1", "2"],
            "hired_date": [
                date(2020, 1, 1), date(2026, 12, 13), date(2026, 12, 14), date(2020, 1, 1)
            ],
            "left_date": [None, None, None, date(2026, 12, 6)],
            "weekly_hours": [40, 20, 30, 38],
        }
    )  # fmt: skip
    hours = capacity.scheduled_hours(staff, [MONDAY], productive_share=0.5)
    by_store = dict(zip(hours["store"], hours["capacity_hours"], strict=True))
    # Hired on the week's Sunday counts, hired the Monday after does not; left before it does not.
    assert by_store == {"1": (40 + 20) * 0.5, "2": 0.0}


def test_hours_move_from_a_store_with_spare_capacity_to_one_over_it() -> None:
    plan = capacity.capacity_plan(
        _forecast([("1", 120, 100, 140), ("2", 40, 30, 50)]),
        pd.Series({"1": 45.0, "2": 45.0}),
        _capacity({"1": 78, "2": 80}),
    )
    # Store 1 needs 90 h against 78: 12 short. Store 2 needs 30 h; 90 % of 80 leaves 42 spare.
    advice = capacity.recommendations(plan)
    receive = next(r for r in advice if r.action == "receive")
    assert (receive.store, receive.hours) == ("1", pytest.approx(12))
    assert receive.text == (
        "Week of 07 Dec 2026: move 12 h (2 shifts of 8 h) from store 2 to store 1"
    )
    assert not [r for r in advice if r.action == "add shifts"]
    cut = next(r for r in advice if r.action == "cut shifts")
    assert (cut.store, cut.hours) == ("2", pytest.approx(30))


def test_a_shortfall_nobody_can_cover_becomes_extra_shifts() -> None:
    plan = capacity.capacity_plan(
        _forecast([("1", 120, 100, 140)]), pd.Series({"1": 45.0}), _capacity({"1": 78})
    )
    (advice,) = capacity.recommendations(plan)
    assert advice.action == "add shifts"
    assert advice.text == (
        "Week of 07 Dec 2026: store 1 needs 12 h more than scheduled: add 2 shifts of 8 h"
    )


def test_capacity_reads_minutes_mix_and_staff_from_the_warehouse(built_data_dir: Path) -> None:
    connection = connect_read_only(Settings(data_dir=built_data_dir))
    try:
        standard = capacity.standard_minutes(connection)
        mix = capacity.repair_mix(connection)
        staff = capacity.technicians(connection)
    finally:
        connection.close()
    assert (standard["minutes"] > 0).all()
    assert mix.groupby("store")["share"].sum().to_numpy() == pytest.approx(1.0)
    assert set(staff["store"]) == set(mix["store"])
    per_repair = capacity.minutes_per_repair(mix, standard)
    assert standard["minutes"].min() <= per_repair.min() <= per_repair.max()
    assert per_repair.max() <= standard["minutes"].max()


# ---- from the warehouse, and the delivered-hours baseline ------------------------------------


def _repairs_db(rows: list[tuple]) -> duckdb.DuckDBPyConnection:
    """An in-memory ``fct_repairs`` with the columns capacity reads."""
    connection = duckdb.connect()
    connection.execute(
        """
        CREATE TABLE fct_repairs (
            store_id BIGINT, repair_type VARCHAR, received_date DATE, completed_date DATE,
            is_completed BOOLEAN, is_cancelled BOOLEAN, labour_minutes INTEGER
        )
        """
    )
    connection.executemany("INSERT INTO fct_repairs VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    return connection


def test_standard_minutes_are_the_mean_per_finished_repair_with_cancellations_at_zero() -> None:
    day = date(2026, 12, 1)
    connection = _repairs_db(
        [
            (1, "screen_replacement", day, day, True, False, 60),
            (1, "screen_replacement", day, day, True, False, 90),
            (1, "screen_replacement", day, None, False, True, None),  # declined at the desk
            (1, "screen_replacement", day, day, True, False, 9999),  # a typo, left out
            (1, "screen_replacement", day, None, False, False, None),  # still on the bench
        ]
    )
    standard = capacity.standard_minutes(connection)
    # (60 + 90 + 0) / 3 repairs the forecast counts: the median (60) would understate the total.
    assert standard["minutes"].tolist() == [pytest.approx(50.0)]


def test_weekly_labour_sums_recorded_hours_per_store_and_complete_week() -> None:
    monday, last_day = date(2026, 11, 30), date(2026, 12, 9)  # the week of Dec 7 is running
    connection = _repairs_db(
        [
            (1, "screen_replacement", monday, monday, True, False, 120),
            (1, "screen_replacement", monday, date(2026, 12, 6), True, False, 60),  # Sunday
            (1, "screen_replacement", monday, last_day, True, False, 600),
            (2, "battery_replacement", monday, date(2026, 11, 27), True, False, 30),
            (2, "battery_replacement", monday, date(2026, 12, 1), True, False, 6000),  # typo
        ]
    )
    labour = capacity.weekly_labour(connection, weeks=2)
    hours = {(r.store, r.ds.date()): r.hours for r in labour.itertuples()}
    assert hours == {
        ("1", date(2026, 11, 23)): 0.0,
        ("1", date(2026, 11, 30)): pytest.approx(3.0),
        ("2", date(2026, 11, 23)): pytest.approx(0.5),
        ("2", date(2026, 11, 30)): 0.0,
    }


def test_delivered_capacity_is_a_busy_week_of_recorded_labour_since_the_store_opened() -> None:
    weeks = pd.date_range("2026-10-05", periods=6, freq="7D")
    labour = pd.DataFrame(
        {
            "store": ["1"] * 6 + ["2"] * 6,
            "ds": list(weeks) * 2,
            "hours": [300, 320, 340, 360, 380, 400, 0, 0, 0, 100, 200, 300],
        }
    )
    delivered = capacity.delivered_capacity(labour, quantile=0.5)
    # Store 2 opened in week 4: its empty weeks before that are not a capacity of zero.
    assert delivered.to_dict() == {"1": pytest.approx(350), "2": pytest.approx(200)}


def test_a_week_is_judged_against_delivered_hours_and_keeps_the_contract_beside_them() -> None:
    plan = capacity.capacity_plan(
        _forecast([("1", 120, 100, 130), ("2", 120, 100, 130)]),
        pd.Series({"1": 45.0, "2": 45.0}),
        _capacity({"1": 78, "2": 78}),
        pd.Series({"1": 100.0}),
    )
    one, two = plan.iloc[0], plan.iloc[1]
    # 90 h needed: over the 78 contracted hours, inside the 100 h store 1's team delivers.
    assert (one.scheduled_hours, one.delivered_hours, one.capacity_hours) == (78, 100, 100)
    assert (one.capacity_basis, one.status, one.utilisation) == ("delivered", "ok", 0.9)
    # Store 2 has no recorded labour yet: its contract is all there is to go on.
    assert (two.capacity_basis, two.capacity_hours, two.status) == ("scheduled", 78, "over")
    (advice,) = capacity.recommendations(plan)
    assert advice.text == (
        "Week of 07 Dec 2026: store 2 needs 12 h more than scheduled: add 2 shifts of 8 h"
    )


def test_a_shortfall_against_delivered_hours_says_so() -> None:
    plan = capacity.capacity_plan(
        _forecast([("1", 200, 180, 220)]),
        pd.Series({"1": 45.0}),
        _capacity({"1": 78}),
        pd.Series({"1": 140.0}),
    )
    (advice,) = capacity.recommendations(plan)
    assert advice.text == (
        "Week of 07 Dec 2026: store 1 needs 10 h more than its team delivered in a busy recent "
        "week: add 2 shifts of 8 h"
    )


def test_delivered_hours_on_the_warehouse_are_positive_for_every_store(
    built_data_dir: Path,
) -> None:
    connection = connect_read_only(Settings(data_dir=built_data_dir))
    try:
        labour = capacity.weekly_labour(connection)
        staff = capacity.technicians(connection)
    finally:
        connection.close()
    assert labour["ds"].nunique() == capacity.MIX_WEEKS
    assert (pd.to_datetime(labour["ds"]).dt.dayofweek == 0).all()
    delivered = capacity.delivered_capacity(labour)
    assert set(delivered.index) == set(staff["store"])
    assert (delivered > 0).all()
