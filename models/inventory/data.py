"""What the inventory plan reads from the warehouse: stock, parts, and daily part use."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pandas as pd


def stock_positions(connection: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per store × part with a stock record: on hand, on order, the shop's current
    min/max rule (``shop_min`` = its reorder point, ``shop_max`` = that plus its reorder
    quantity) and the part's cost, lead time and supplier."""
    return connection.execute(
        """
        SELECT s.store_id, s.part_id, p.sku, p.part_name, p.part_category, p.supplier,
               CAST(p.unit_cost_eur AS DOUBLE) AS unit_cost_eur, p.lead_time_days,
               s.quantity_on_hand AS on_hand, s.quantity_on_order AS on_order,
               s.reorder_point AS shop_min, s.reorder_point + s.reorder_quantity AS shop_max
        FROM stg_stock_levels s JOIN dim_part p USING (part_id)
        ORDER BY s.store_id, s.part_id
        """
    ).df()


def daily_usage(connection: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``store_id, part_id, used_date, quantity``: units fitted per store, part and day."""
    return connection.execute(
        """
        SELECT store_id, part_id, used_date, sum(quantity)::INTEGER AS quantity
        FROM fct_parts_usage GROUP BY ALL ORDER BY used_date
        """
    ).df()


def recent_use(
    connection: duckdb.DuckDBPyConnection, as_of: date, history_days: int
) -> pd.DataFrame:
    """``store_id, part_id, used_units, squares, last_used_date`` per pair ever used: units and
    squared daily units over the ``history_days`` ending ``as_of``, and its last day with use
    (the sums :func:`models.inventory.plan.demand_rates` takes from :func:`daily_usage`,
    aggregated in the warehouse instead of in memory)."""
    start = as_of - timedelta(days=history_days - 1)
    return connection.execute(
        """
        WITH daily AS (
            SELECT store_id, part_id, used_date, sum(quantity) AS quantity
            FROM fct_parts_usage GROUP BY ALL
        )
        SELECT store_id, part_id,
               coalesce(sum(quantity) FILTER (WHERE used_date BETWEEN ? AND ?), 0)::BIGINT
                   AS used_units,
               coalesce(sum(quantity::DOUBLE * quantity) FILTER (WHERE used_date BETWEEN ? AND ?),
                        0) AS squares,
               max(used_date) FILTER (WHERE quantity > 0) AS last_used_date
        FROM daily GROUP BY ALL ORDER BY store_id, part_id
        """,
        [start, as_of, start, as_of],
    ).df()


def stock_date(connection: duckdb.DuckDBPyConnection) -> date | None:
    """The day the stock figures describe: the last day of the daily stock table, else the last
    day with part use; None when there is neither."""
    ((latest,),) = connection.execute(
        """
        SELECT coalesce((SELECT max(inventory_date) FROM fct_inventory_daily),
                        (SELECT max(used_date) FROM fct_parts_usage))
        """
    ).fetchall()
    return latest


def inventory_days(
    connection: duckdb.DuckDBPyConnection, pairs: pd.DataFrame | None = None
) -> pd.DataFrame:
    """``store_id, part_id, inventory_date, quantity_on_hand`` of the recent daily stock table,
    for the ``store_id, part_id`` pairs given (all when None)."""
    if pairs is None:
        return connection.execute(
            """
            SELECT store_id, part_id, inventory_date, quantity_on_hand
            FROM fct_inventory_daily ORDER BY store_id, part_id, inventory_date
            """
        ).df()
    connection.register("wanted_pairs", pairs[["store_id", "part_id"]])
    try:
        return connection.execute(
            """
            SELECT i.store_id, i.part_id, i.inventory_date, i.quantity_on_hand
            FROM fct_inventory_daily i JOIN wanted_pairs w USING (store_id, part_id)
            ORDER BY i.store_id, i.part_id, i.inventory_date
            """
        ).df()
    finally:
        connection.unregister("wanted_pairs")


def reorder_crossings(connection: duckdb.DuckDBPyConnection, below: pd.DataFrame) -> pd.Series:
    """``crossed_on`` per (``store_id``, ``part_id``) of ``below`` (which also has
    ``reorder_point``): the last day of the daily stock table when stock on hand fell from
    above the reorder point to it or under; pairs that never crossed in the window are left
    out. Same rule as :func:`models.inventory.plan.crossing_days`, run in the warehouse."""
    connection.register("below_pairs", below[["store_id", "part_id", "reorder_point"]])
    try:
        frame = connection.execute(
            """
            WITH marked AS (
                SELECT i.store_id, i.part_id, i.inventory_date,
                       i.quantity_on_hand > b.reorder_point AS above,
                       lag(i.quantity_on_hand > b.reorder_point) OVER (
                           PARTITION BY i.store_id, i.part_id ORDER BY i.inventory_date
                       ) AS above_before
                FROM fct_inventory_daily i JOIN below_pairs b USING (store_id, part_id)
            )
            SELECT store_id, part_id, max(inventory_date) AS crossed_on
            FROM marked WHERE above_before AND NOT above GROUP BY ALL
            """
        ).df()
    finally:
        connection.unregister("below_pairs")
    return frame.set_index(["store_id", "part_id"])["crossed_on"]
