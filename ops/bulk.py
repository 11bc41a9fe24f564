"""Bulk writes of whole frames: COPY on PostgreSQL, one transaction on SQLite.

The history generator and test factories write millions of rows; going through the ORM row by row
would take hours. Frames must carry the table's column names; columns they omit get the database
default.
"""

from __future__ import annotations

import io

import polars as pl
from sqlalchemy import Engine, text

from ops.schema import metadata

_SQLITE_BATCH_ROWS = 200_000


def bulk_insert(engine: Engine, table: str, frame: pl.DataFrame) -> int:
    """Append ``frame`` to ``table``; returns the number of rows written."""
    if frame.is_empty():
        return 0
    unknown = set(frame.columns) - set(metadata.tables[table].columns.keys())
    if unknown:
        raise ValueError(f"{table} has no column(s) {sorted(unknown)}")
    if engine.dialect.name == "postgresql":
        _copy_into_postgres(engine, table, frame)
    else:
        _insert_into_sqlite(engine, table, frame)
    return frame.height


def _copy_into_postgres(engine: Engine, table: str, frame: pl.DataFrame) -> None:
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    sql = f"COPY \"{table}\" ({columns}) FROM STDIN (FORMAT csv, NULL '\\N')"
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor, cursor.copy(sql) as copy:
            for chunk in frame.iter_slices(500_000):
                buffer = io.BytesIO()
                chunk.write_csv(
                    buffer,
                    include_header=False,
                    null_value="\\N",
                    datetime_format="%Y-%m-%d %H:%M:%S%.6f",
                )
                copy.write(buffer.getvalue())
        raw.commit()
    finally:
        raw.close()


def _sqlite_ready(frame: pl.DataFrame) -> pl.DataFrame:
    """Cast to the text/integer forms SQLAlchemy itself stores in SQLite."""
    casts = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.Datetime):
            casts.append(pl.col(name).dt.strftime("%Y-%m-%d %H:%M:%S.%6f"))
        elif dtype == pl.Date:
            casts.append(pl.col(name).dt.strftime("%Y-%m-%d"))
        elif dtype == pl.Boolean:
            casts.append(pl.col(name).cast(pl.Int8))
        elif isinstance(dtype, pl.Decimal):
            casts.append(pl.col(name).cast(pl.Float64))
    return frame.with_columns(casts) if casts else frame


def _insert_into_sqlite(engine: Engine, table: str, frame: pl.DataFrame) -> None:
    frame = _sqlite_ready(frame)
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    placeholders = ", ".join("?" for _ in frame.columns)
    sql = f'INSERT INTO "{table}" ({columns}) VALUES ({placeholders})'
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for chunk in frame.iter_slices(_SQLITE_BATCH_ROWS):
            cursor.executemany(sql, chunk.iter_rows())
        raw.commit()
    finally:
        raw.close()


def reset_sequences(engine: Engine) -> None:
    """Move PostgreSQL id sequences past ids written explicitly (SQLite needs nothing)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            if "id" not in table.columns or not table.columns["id"].autoincrement:
                continue
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f'COALESCE((SELECT MAX(id) FROM "{table.name}"), 0) + 1, false)'
                )
            )
