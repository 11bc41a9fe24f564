"""Rebuild the marts from staging: all of them on a full run, only the touched keys otherwise.

An incremental run derives, from the staging change sets (``pipelines.load``), which repairs,
bookings and store × part pairs are affected, builds just their rows with the same transforms as
a full run (the SQL facts of ``pipelines.facts`` scoped to the affected keys, the polars functions
of ``pipelines.transform`` on their staging rows) and replaces just those rows. What counts as
"touched":

- a repair, for ``fct_repairs``: its row changed, or one of its status events, part lines,
  payments or feedback did, or a rework of it did (``has_rework``), or its device or the device's
  model did;
- a repair, for the facts hanging off it (status events, part lines, payments, feedback): one of
  its rows of that fact's own table changed, or a column of the repair that fact reads
  (``REPAIR_CHILD_FACTS``) did, or the repair entered or left staging — a corrected price
  rebuilds the repair's row, not its six status events, and that row keeps its stage hours
  unless the repair's events or intake time changed (``RESTAGED_REPAIRS``);
- a booking: its row changed, the repair made from it was linked, unlinked, staged or unstaged,
  or its device or model changed;
- a store × part pair: its stock level or one of its stock movements changed; when the last
  movement day moves, the whole ``fct_inventory_daily`` window shifts and is rebuilt;
- a dimension is rebuilt whole when one of its staging sources changed (``dim_date`` when its
  range moves); rebuilding writes only the rows that differ.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import polars as pl

from pipelines import facts, transform
from pipelines.load import changed_table, count_rows, previous_table, replace_rows, table_exists
from warehouse.checks import EVERYTHING

REPAIR_CHILDREN = ("repair_status_events", "repair_parts", "payments", "feedback")
AFFECTED_REPAIRS = "repair_id IN (SELECT repair_id FROM _affected_repairs)"

# Each fact hanging off a repair: its own staging table, and the stg_repairs columns its SQL
# (pipelines.facts) reads besides repair_id. A test holds this in step with the SQL.
REPAIR_CHILD_FACTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "fct_status_events": ("repair_status_events", ("store_id",)),
    "fct_parts_usage": (
        "repair_parts",
        ("store_id", "technician_id", "completed_at", "received_at"),
    ),
    "fct_payments": ("payments", ("customer_id", "store_id")),
    "fct_feedback": ("feedback", ("customer_id", "store_id", "technician_id")),
}


# The repairs whose stage hours in fct_repairs must be computed again: their status events
# changed, or their intake time did, or they entered or left staging.
RESTAGED_REPAIRS = "repair_id IN (SELECT repair_id FROM _restaged_repairs)"


def affected_repairs_of(fact: str) -> str:
    """The scope condition of the repairs whose rows of child fact ``fact`` must be rebuilt."""
    return f"repair_id IN (SELECT repair_id FROM _affected_{fact})"


AFFECTED_BOOKINGS = "booking_id IN (SELECT booking_id FROM _affected_bookings)"
AFFECTED_STOCK = "(store_id, part_id) IN (SELECT (store_id, part_id) FROM _affected_stock)"


@dataclass(frozen=True)
class Written:
    """What rebuilding one mart did: rows that changed, and the SQL condition selecting the rows
    it rebuilt (``TRUE`` for the whole table) — the scope its data checks need to cover."""

    rows: int
    scope: str


Progress = Callable[[str], None]


def stg(con: duckdb.DuckDBPyConnection, table: str, where: str | None = None) -> pl.DataFrame:
    """Staging rows of ``table`` (``stg_`` prefix implied), optionally filtered by SQL ``where``."""
    return con.sql(f"SELECT * FROM stg_{table} WHERE {where or 'TRUE'}").pl()


def _touched(table: str, column: str) -> str:
    """SQL: ``column`` of the new and previous versions of every staged change to ``table``."""
    return (
        f"SELECT {column} AS v FROM {changed_table('stg_' + table)} "
        f"UNION ALL SELECT {column} FROM {previous_table('stg_' + table)}"
    )


def _repairs_differing_in(columns: tuple[str, ...], key: str = "repair_id") -> str:
    """SQL: ``key`` of every staged repair whose ``columns`` differ between its previous and new
    version this run, counting a repair that entered or left staging (one side only)."""
    listed = ", ".join(dict.fromkeys(("repair_id", *columns)))
    changed, previous = changed_table("stg_repairs"), previous_table("stg_repairs")
    return (
        f"SELECT {key} AS v FROM ((SELECT {listed} FROM {changed} "
        f"EXCEPT SELECT {listed} FROM {previous}) UNION ALL (SELECT {listed} FROM {previous} "
        f"EXCEPT SELECT {listed} FROM {changed}))"
    )


def _collect_repairs_touching(
    con: duckdb.DuckDBPyConnection, name: str, child: str, columns: tuple[str, ...]
) -> None:
    """Temp table ``name`` of the repairs with a changed row in ``stg_<child>`` or changed
    ``columns`` (or that entered or left staging)."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT DISTINCT v AS repair_id FROM ("
        f"{_touched(child, 'repair_id')} UNION ALL {_repairs_differing_in(columns)}) "
        "WHERE v IS NOT NULL"
    )


def has_changes(con: duckdb.DuckDBPyConnection, *tables: str) -> bool:
    return any(
        count_rows(con, kind(f"stg_{t}")) > 0
        for t in tables
        for kind in (changed_table, previous_table)
        if table_exists_temp(con, kind(f"stg_{t}"))
    )


def table_exists_temp(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return table_exists(con, f"temp.main.{name}")


def collect_affected_keys(con: duckdb.DuckDBPyConnection) -> None:
    """Create temp tables ``_affected_repairs``, ``_affected_bookings``, ``_affected_stock``."""
    devices = _touched("customer_devices", "customer_device_id")
    models = _touched("device_models", "device_model_id")
    device_of_changed_model = (
        f"SELECT customer_device_id FROM stg_customer_devices WHERE device_model_id IN ({models})"
    )
    repairs = [
        _touched("repairs", "repair_id"),
        _touched("repairs", "rework_of_repair_id"),
        *(_touched(child, "repair_id") for child in REPAIR_CHILDREN),
        f"SELECT repair_id FROM stg_repairs WHERE customer_device_id IN ({devices})",
        "SELECT repair_id FROM stg_repairs WHERE customer_device_id IN "
        f"({device_of_changed_model})",
    ]
    bookings = [
        _touched("bookings", "booking_id"),
        _repairs_differing_in(("booking_id",), key="booking_id"),
        f"SELECT booking_id FROM stg_bookings WHERE customer_device_id IN ({devices})",
        f"SELECT booking_id FROM stg_bookings WHERE customer_device_id IN "
        f"({device_of_changed_model})",
    ]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _affected_repairs AS SELECT DISTINCT v AS repair_id FROM ("
        + " UNION ALL ".join(repairs)
        + ") WHERE v IS NOT NULL"
    )
    # Stage hours read the intake time and the status events, like a child fact would.
    _collect_repairs_touching(con, "_restaged_repairs", "repair_status_events", ("received_at",))
    for fact, (child, columns) in REPAIR_CHILD_FACTS.items():
        _collect_repairs_touching(con, f"_affected_{fact}", child, columns)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _affected_bookings AS SELECT DISTINCT v AS booking_id FROM ("
        + " UNION ALL ".join(bookings)
        + ") WHERE v IS NOT NULL"
    )
    stock = " UNION ALL ".join(
        f"SELECT store_id, part_id FROM {kind('stg_' + t)}"
        for t in ("stock_levels", "stock_movements")
        for kind in (changed_table, previous_table)
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE _affected_stock AS SELECT DISTINCT * FROM ({stock})")


def date_range(con: duckdb.DuckDBPyConnection) -> tuple[dt.date, dt.date]:
    """Whole calendar years around every date the marts can refer to (a stable dim_date)."""
    sources = [
        ("stores", "opened_date"),
        ("repairs", "received_at"),
        ("repairs", "collected_at"),
        ("repair_status_events", "occurred_at"),
        ("bookings", "created_at"),
        ("bookings", "slot_start_at"),
        ("payments", "paid_at"),
        ("feedback", "submitted_at"),
        ("stock_movements", "occurred_at"),
    ]
    bounds = " UNION ALL ".join(
        f"SELECT min({c})::DATE AS lo, max({c})::DATE AS hi FROM stg_{t}" for t, c in sources
    )
    low, high = con.execute(f"SELECT min(lo), max(hi) FROM ({bounds})").fetchall()[0]
    today = dt.datetime.now(dt.UTC).date()
    low, high = low or today, high or today
    # The inventory window may start before the first dated row of a young history.
    low = min(low, high - dt.timedelta(days=transform.INVENTORY_WINDOW_DAYS))
    return dt.date(low.year, 1, 1), dt.date(high.year, 12, 31)


# Each dimension: the staging tables it is built from, and the transform (taking them in order).
DIMENSIONS: dict[str, tuple[tuple[str, ...], Callable[..., pl.DataFrame]]] = {
    "dim_store": (("stores",), transform.dim_store),
    "dim_device_model": (("device_models",), transform.dim_device_model),
    "dim_technician": (("technicians",), transform.dim_technician),
    "dim_part": (("parts", "part_compatibility"), transform.dim_part),
    "dim_customer": (("customers",), transform.dim_customer),
}


def build_dimensions(
    con: duckdb.DuckDBPyConnection, faults: pl.DataFrame, full: bool
) -> dict[str, Written]:
    """Rebuild each dimension whose staging sources changed (all of them on a full run)."""
    written = {"dim_fault": replace_rows(con, "dim_fault", transform.dim_fault(faults))}
    first, last = date_range(con)
    stored = (
        con.execute("SELECT min(calendar_date), max(calendar_date) FROM dim_date").fetchall()[0]
        if table_exists(con, "dim_date")
        else None
    )
    if full or stored != (first, last):
        written["dim_date"] = replace_rows(con, "dim_date", transform.dim_date(first, last))
    for name, (sources, build) in DIMENSIONS.items():
        if full or not table_exists(con, name) or has_changes(con, *sources):
            written[name] = replace_rows(con, name, build(*(stg(con, t) for t in sources)))
    return {name: Written(rows, EVERYTHING) for name, rows in written.items()}


def build_repair_facts(con: duckdb.DuckDBPyConnection, full: bool) -> dict[str, Written]:
    """fct_repairs and the facts hanging off a repair, for all or the affected repairs, built
    in SQL inside the warehouse (``pipelines.facts``)."""
    scopes = {"fct_repairs": AFFECTED_REPAIRS} | {
        fact: affected_repairs_of(fact) for fact in REPAIR_CHILD_FACTS
    }
    written = {}
    for name, affected in scopes.items():
        scope = EVERYTHING if full else affected
        if name == "fct_repairs" and not full:
            rows = facts.fct_repairs(scope, restage=RESTAGED_REPAIRS)
        else:
            rows = getattr(facts, name)(scope)
        written[name] = Written(replace_rows(con, name, rows, scope), scope)
    return written


def build_bookings(con: duckdb.DuckDBPyConnection, full: bool) -> dict[str, Written]:
    scope = EVERYTHING if full else AFFECTED_BOOKINGS
    rows = replace_rows(con, "fct_bookings", facts.fct_bookings(scope), scope)
    return {"fct_bookings": Written(rows, scope)}


def build_inventory(con: duckdb.DuckDBPyConnection, full: bool) -> dict[str, Written]:
    as_of = con.execute("SELECT max(occurred_at)::DATE FROM stg_stock_movements").fetchall()[0][0]
    published_as_of = (
        con.execute("SELECT max(inventory_date) FROM fct_inventory_daily").fetchall()[0][0]
        if table_exists(con, "fct_inventory_daily")
        else None
    )
    whole_window = full or as_of != published_as_of
    pair = AFFECTED_STOCK
    scope = None if whole_window else pair
    first_day = (as_of or dt.date.max) - dt.timedelta(days=transform.INVENTORY_WINDOW_DAYS - 1)
    movements_from = f"occurred_at >= DATE '{first_day.isoformat()}'" if as_of else "FALSE"
    frame = transform.fct_inventory_daily(
        stg(con, "stock_levels", scope),
        stg(
            con,
            "stock_movements",
            movements_from if whole_window else f"{movements_from} AND {pair}",
        ),
        as_of,
    )
    rows = replace_rows(con, "fct_inventory_daily", frame, scope)
    return {"fct_inventory_daily": Written(rows, scope or EVERYTHING)}


def build_marts(
    con: duckdb.DuckDBPyConnection, faults: pl.DataFrame, full: bool, progress: Progress
) -> dict[str, Written]:
    """Rebuild every mart (``full``) or the affected rows of each; what was written, per mart."""
    if not full:
        collect_affected_keys(con)
        progress(
            f"marts: {count_rows(con, '_affected_repairs'):,} repairs, "
            f"{count_rows(con, '_affected_bookings'):,} bookings, "
            f"{count_rows(con, '_affected_stock'):,} store × part pairs affected"
        )
    written: dict[str, Written] = {}
    for step in (build_dimensions, build_repair_facts, build_bookings, build_inventory):
        kwargs = {"faults": faults} if step is build_dimensions else {}
        written.update(step(con, full=full, **kwargs))
    for name, result in written.items():
        if result.rows:
            progress(f"{name}: {result.rows:,} rows written")
    return written
