"""Alembic migrations take an empty database to head and back, identically on both engines."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from core.db import make_engine
from ops.migrate import current_revision, downgrade_to_base, head_revision, upgrade_to_head
from ops.schema import metadata
from pipelines.sources import source_tables


def test_upgrade_from_empty_creates_every_table_at_head(empty_ops_url):
    engine = make_engine(empty_ops_url)
    upgrade_to_head(engine)
    assert current_revision(engine) == head_revision()
    assert set(metadata.tables) <= set(inspect(engine).get_table_names())


def test_migrations_match_the_orm_schema(empty_ops_url):
    engine = make_engine(empty_ops_url)
    upgrade_to_head(engine)
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    assert differences == []


def test_downgrade_to_base_removes_every_table_and_upgrade_restores_them(empty_ops_url):
    engine = make_engine(empty_ops_url)
    upgrade_to_head(engine)
    downgrade_to_base(engine)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade_to_head(engine)
    assert current_revision(engine) == head_revision()


def test_a_new_database_has_no_revision(empty_ops_url):
    assert current_revision(make_engine(empty_ops_url)) is None


def test_every_ops_table_the_etl_reads_by_id_logs_its_deletions(empty_ops_url):
    engine = make_engine(empty_ops_url)
    upgrade_to_head(engine)
    if engine.dialect.name == "postgresql":
        query = (
            "SELECT event_object_table FROM information_schema.triggers "
            "WHERE trigger_name LIKE '%%record_deleted_row'"
        )
    else:
        query = "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger'"
    with engine.connect() as conn:
        logged = {row[0] for row in conn.exec_driver_sql(query)}
    read_by_id = {name for name, table in source_tables().items() if table.key == ("id",)}
    assert logged == read_by_id
