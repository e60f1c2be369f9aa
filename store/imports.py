"""Imported files: what was imported when, with its counts (keyed by content hash)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from cqfriends.store.models import ImportedFile, utcnow


def record_import(
    *, session: Session, sha256: str, name: str, source: str, read: int, new: int,
    updated: int, bad: int,
) -> ImportedFile:
    row = session.exec(select(ImportedFile).where(ImportedFile.sha256 == sha256)).first()
    if row is None:
        row = ImportedFile(sha256=sha256, name=name, source=source, imported_at=utcnow())
    row.imported_at = utcnow()
    row.name, row.read, row.new, row.updated, row.bad = name, read, new, updated, bad
    session.add(row)
    return row


def list_imports(*, session: Session, limit: int = 50) -> list[ImportedFile]:
    stmt = select(ImportedFile).order_by(col(ImportedFile.imported_at).desc()).limit(limit)
    return list(session.exec(stmt).all())
