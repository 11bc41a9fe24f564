"""What the inventory plan reads from the warehouse: stock, parts, and daily part use."""

from __future__ import annotations

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
