"""Per-source state (cursor, health) and the record of every collector run.

A source is ``ok``, ``rate_limited`` (skipped until ``reset_at``) or ``broken``
(its token was refused; skipped until the token's fingerprint changes).  Only a
sha256 fingerprint of a token is ever stored, never the token.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from cqfriends.store.models import CollectorRun, SourceState, utcnow

ERROR_CHARS = 2000


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


def skip_reason(state: SourceState, *, fingerprint: str | None, now: datetime) -> str | None:
    """Why ``state`` must not run now, or None when it may."""
    if state.state == "rate_limited" and state.reset_at is not None and state.reset_at > now:
        return f"rate-limited until {state.reset_at.isoformat(timespec='seconds')}"
    if state.state == "broken" and state.token_fingerprint == fingerprint:
        return "token refused; skipped until the token changes"
    return None


def start_run(*, session: Session, source: str, started_at: datetime | None = None,
              holder: str | None = None) -> CollectorRun:
    """Open a run; ``holder`` (HOST:PID) names the process running it."""
    host, _, pid = (holder or "").rpartition(":")
    run = CollectorRun(source=source, started_at=started_at or utcnow(), host=host or None,
                       pid=int(pid) if pid.isdigit() else None)
    session.add(run)
    session.flush()
    return run


def finish_run(
    *, session: Session, run_id: int, fetched: int, new: int, updated: int, bad: int,
    error: str | None = None,
) -> None:
    run = session.get(CollectorRun, run_id)
    if run is None:
        return
    run.finished_at = utcnow()
    run.fetched, run.new, run.updated, run.bad = fetched, new, updated, bad
    run.error = error[:ERROR_CHARS] if error else None
    session.add(run)


INTERRUPTED = "interrupted: the process stopped mid-run"
ABANDONED = "failed: its job ended without closing it (see the log)"


def open_runs(*, session: Session) -> list[CollectorRun]:
    stmt = select(CollectorRun).where(col(CollectorRun.finished_at).is_(None))
    return list(session.exec(stmt).all())


def close_runs(*, session: Session, run_ids: Iterable[int], error: str) -> int:
    """Close runs nobody will finish: their process died, or their job ended without it."""
    ids = sorted(set(run_ids))
    if not ids:
        return 0
    stmt = (sa.update(CollectorRun).where(col(CollectorRun.id).in_(ids),
                                          col(CollectorRun.finished_at).is_(None))
            .values(finished_at=utcnow(), error=error))
    return int(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]


def mark_success(*, session: Session, source: str, fingerprint: str | None) -> None:
    state = get_source_state(session=session, source=source)
    state.state, state.reset_at = "ok", None
    state.token_fingerprint = fingerprint
    state.last_success_at = utcnow()
    session.add(state)


def mark_error(
    *, session: Session, source: str, error: str, state_name: str | None = None,
    reset_at: datetime | None = None, fingerprint: str | None = None,
) -> None:
    """Record a failed run; ``state_name`` rate_limited/broken also changes whether it runs."""
    state = get_source_state(session=session, source=source)
    state.last_error, state.last_error_at = error[:ERROR_CHARS], utcnow()
    if state_name == "rate_limited":
        state.state, state.reset_at = "rate_limited", reset_at
    elif state_name == "broken":
        state.state, state.reset_at, state.token_fingerprint = "broken", None, fingerprint
    session.add(state)


def list_source_states(*, session: Session) -> dict[str, SourceState]:
    return {s.source: s for s in session.exec(select(SourceState)).all()}


def list_runs(
    *, session: Session, source: str | None = None, limit: int = 50
) -> list[CollectorRun]:
    stmt = select(CollectorRun).order_by(col(CollectorRun.id).desc()).limit(limit)
    if source:
        stmt = stmt.where(CollectorRun.source == source)
    return list(session.exec(stmt).all())


def last_run_starts(*, session: Session) -> dict[str, datetime]:
    """Per source, when its newest run started."""
    source = col(CollectorRun.source)
    stmt = sa.select(source, sa.func.max(col(CollectorRun.started_at))).group_by(source)
    return {source: started for source, started in session.execute(stmt).all()}
