"""Per-source state (cursor, health) and the record of every collector run."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from store.models import CollectorRun, SourceState, utcnow


def get_source_state(*, session: Session, source: str) -> SourceState:
    state = session.get(SourceState, source)
    if state is None:
        state = SourceState(source=source, cursor={})
        session.add(state)
        session.flush()
    return state


def save_cursor(*, session: Session, source: str, cursor: dict[str, Any]) -> None:
    """Move the cursor; called in the same transaction as the posts it covers."""
    state = get_source_state(session=session, source=source)
    state.cursor = dict(cursor)
    session.add(state)


def start_run(*, session: Session, source: str, started_at: datetime | None = None) -> CollectorRun:
    run = CollectorRun(source=source, started_at=started_at or utcnow())
    session.add(run)
    session.flush()
    return run
