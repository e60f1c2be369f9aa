"""Reading the audit log: filtered pages for the admin console, CSV for download and `cqf audit`."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from sqlalchemy.engine import Engine

from cqfriends.errors import BadInput
from cqfriends.i18n.translate import msg
from cqfriends.store.audit import CSV_COLUMNS, AuditFilter, audit_csv_row, list_audit
from cqfriends.store.db import session_scope
from cqfriends.store.models import AuditEntry

CSV_BATCH = 1000
# Every action the log records, for the filter of /admin/audit and `cqf audit --action`.
ACTIONS = ("approve", "reject", "feature", "unfeature", "takedown", "resection", "requeue",
           "undo", "draw", "author-block", "author-trust", "author-clear", "user-add",
           "user-role", "user-password", "user-deactivate", "user-reactivate", "token-create",
           "token-revoke")


def parse_audit_filter(*, actor: str | None = None, action: str | None = None,
                       post_key: str | None = None, since: str | None = None,
                       until: str | None = None, tz=None) -> AuditFilter:  # type: ignore[no-untyped-def]
    """Days (YYYY-MM-DD) in the campaign zone ``tz``; ``until`` includes its whole day."""
    def day(value: str | None, name: str) -> date | None:
        try:
            parsed = date.fromisoformat(value) if value else None
        except ValueError:
            parsed = date.min
        if parsed is not None and not 1970 <= parsed.year <= 9998:
            raise BadInput(msg("%(name)s %(value)r: use YYYY-MM-DD", name=name,
                               value=str(value)[:40]))
        return parsed

    start, end = day(since, "since"), day(until, "until")
    return AuditFilter(
        actor=actor or None, action=action or None, post_key=post_key or None,
        since=datetime.combine(start, time.min, tz) if start else None,
        until=datetime.combine(end + timedelta(days=1), time.min, tz) if end else None)


def audit_page(*, engine: Engine, where: AuditFilter, limit: int | None = 100,
               offset: int = 0) -> list[AuditEntry]:
    with session_scope(engine) as session:
        return list_audit(session=session, where=where, limit=limit, offset=offset)


def audit_csv_lines(*, engine: Engine, where: AuditFilter) -> Iterator[str]:
    """The header, then one CSV line per entry, newest first, read in batches."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(row: list[str] | tuple[str, ...]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
        return buffer.getvalue()

    yield line(CSV_COLUMNS)
    offset = 0
    while True:
        entries = audit_page(engine=engine, where=where, limit=CSV_BATCH, offset=offset)
        for entry in entries:
            yield line(audit_csv_row(entry))
        if len(entries) < CSV_BATCH:
            return
        offset += CSV_BATCH
