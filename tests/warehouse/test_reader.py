"""Read access to the published warehouse: versions, read-only connections, CSV queries."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from pipelines.run import run_etl
from tests.factories import seed_shop, touch
from warehouse.reader import (
    ReadOnlyQueryError,
    WarehouseMissingError,
    connect_read_only,
    query_csv,
    warehouse_version,
)

pytestmark = pytest.mark.usefixtures("data_dir")


@pytest.fixture
def published(settings, ops_engine):
    seed_shop(ops_engine, repairs=2)
    run_etl(settings)
    return settings


def test_nothing_published_yet(settings):
    assert warehouse_version(settings) is None
    with pytest.raises(WarehouseMissingError, match="run `repairlens etl`"):
        connect_read_only(settings)
    with pytest.raises(WarehouseMissingError):
        query_csv(settings, "SELECT 1", io.StringIO())


def test_every_publish_is_a_new_version(published, ops_engine):
    first = warehouse_version(published)
    touch(ops_engine, "repairs", 1, final_price_eur=Decimal("180.00"))
    run_etl(published)
    assert warehouse_version(published) not in (None, first)


def test_a_run_that_changes_nothing_keeps_the_version(published):
    first = warehouse_version(published)
    summary = run_etl(published)
    assert summary.published is False
    assert warehouse_version(published) == first


def test_query_csv_writes_a_header_and_rows(published):
    out = io.StringIO()
    query_csv(published, "SELECT repair_id, revenue_eur FROM fct_repairs ORDER BY 1", out)
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["repair_id", "revenue_eur"],
        ["1", "140.00"],
        ["2", "140.00"],
    ]


@pytest.mark.parametrize(
    "sql",
    [
        "DROP TABLE fct_repairs",  # a write to the warehouse
        "CREATE TABLE x AS SELECT 1",  # a write, even to a scratch table
        "SELECT 1; DROP TABLE fct_repairs",  # a write hidden behind a read
        "COPY fct_repairs TO '/tmp/out.csv'",  # a write to the file system
        "SELECT * FROM read_csv('/etc/passwd')",  # a read of the file system
        "SELECT * FROM no_such_table",  # a mistake: one line, not a traceback
    ],
)
def test_query_csv_refuses_anything_but_reading_the_warehouse(published, sql):
    with pytest.raises(ReadOnlyQueryError) as caught:
        query_csv(published, sql, io.StringIO())
    assert "\n" not in str(caught.value)
    with connect_read_only(published) as con:
        assert con.execute("SELECT count(*) FROM fct_repairs").fetchall() == [(2,)]


def test_a_read_only_connection_cannot_write(published):
    with connect_read_only(published) as con, pytest.raises(Exception, match="read-only"):
        con.execute("DELETE FROM fct_repairs")
