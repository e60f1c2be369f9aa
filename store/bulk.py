"""Many rows through the driver, with the values SQLAlchemy itself would store and return.

SQLAlchemy's per-row parameter and result handling costs more than the database
work for the big batches of ``cqf import`` and the checks.  Here a statement is
compiled once (or written as plain SQL), each value is converted by its column
type's own bind or result processor, and the rows go through the driver's
executemany / fetchall: the same values, written and read back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa


def placeholder(connection: Any) -> str:
    """The driver's parameter placeholder (sqlite3: ``?``, psycopg: ``%s``)."""
    return "?" if connection.dialect.paramstyle == "qmark" else "%s"


def matching(connection: Any, column: str, values: Sequence[Any]) -> tuple[str, tuple[Any, ...]]:
    """``column IN (...)`` as SQL and parameters: on PostgreSQL ``= ANY(array)``, one
    parameter however many values (psycopg parses no placeholder lists)."""
    if connection.dialect.name == "postgresql":
        return f"{column} = ANY(%s)", (list(values),)
    mark = placeholder(connection)
    return f"{column} IN ({', '.join([mark] * len(values))})", tuple(values)


def chunk_size(connection: Any) -> int:
    """How many values one ``matching`` clause takes (SQLite counts its parameters)."""
    return 10_000 if connection.dialect.name == "postgresql" else 500


def insert_rows(connection: Any, table: str, columns: Sequence[str],
                rows: Sequence[tuple[Any, ...]]) -> None:
    """Plain values (text, numbers) into ``table``: COPY on PostgreSQL, else executemany."""
    if not rows:
        return
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join([placeholder(connection)] * len(columns))
    connection.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({marks})", list(rows))


def executemany(connection: Any, table: sa.Table, stmt: Any, rows: list[dict[str, Any]]) -> None:
    """``connection.execute(stmt, rows)``, where every row has the same keys (left as they are).

    The keys are ``stmt``'s bind names: a column of ``table`` (converted by its type)
    or another name (passed as is, such as ``_id`` in ``WHERE id = :_id``).
    """
    if not rows:
        return
    dialect = connection.dialect
    compiled = stmt.compile(dialect=dialect)
    steps = [(n, table.c[n].type.dialect_impl(dialect).bind_processor(dialect)
              if n in table.c else None) for n in compiled.positiontup or rows[0]]
    params: list[Any] = (
        [tuple(f(row[n]) if f else row[n] for n, f in steps) for row in rows]
        if compiled.positiontup  # qmark (sqlite3); psycopg takes named parameters
        else [{n: f(row[n]) if f else row[n] for n, f in steps} for row in rows])
    connection.exec_driver_sql(str(compiled), params)


def fetch(connection: Any, table: sa.Table, sql: str, params: tuple[Any, ...],
          names: Sequence[str]) -> list[dict[str, Any]]:
    """Rows of plain SQL selecting the columns ``names`` of ``table``, as dicts."""
    dialect = connection.dialect
    result = connection.exec_driver_sql(sql, params)
    kinds = [d[1] for d in result.cursor.description]  # the driver's type codes
    convert = [(i, f) for i, name in enumerate(names)
               if (f := table.c[name].type.dialect_impl(dialect).result_processor(
                   dialect, kinds[i])) is not None]
    out = []
    for row in result.fetchall():
        values = list(row)
        for i, f in convert:
            values[i] = f(values[i])
        out.append(dict(zip(names, values, strict=True)))
    return out
