"""Live collection: one run of a source's collector from its saved cursor.

A run honours the source's state: a rate-limited source is skipped until its
reset time, one whose token was refused until the token changes (compared by
sha256 fingerprint; the token itself is never stored).  Every run is recorded
as a ``CollectorRun``.  A ``stop`` event ends a run after the page in hand: its
posts and cursor are committed first.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine

from cqfriends.errors import AuthError, BadInput, RateLimited
from cqfriends.jobs.ingest import run_checks_safely
from cqfriends.jobs.runs import Run, recorded_run
from cqfriends.normalize.post import RawRecord
from cqfriends.settings import Settings
from cqfriends.store.db import session_scope
from cqfriends.store.ingest import ingest_records, normalize_options
from cqfriends.store.models import utcnow
from cqfriends.store.sources import get_source_state, mark_error, mark_success, skip_reason

log = logging.getLogger(__name__)


@dataclass
class RunSummary:
    """What one collector run did; ``skipped`` says why it did not run at all."""

    source: str
    fetched: int = 0
    new: int = 0
    updated: int = 0
    bad: int = 0
    error: str | None = None
    state: str = "ok"
    skipped: str | None = None
    stopped: bool = False

    def line(self) -> str:
        if self.skipped:
            return f"{self.source}: skipped ({self.skipped})"
        text = (f"{self.source}: fetched {self.fetched}, new {self.new}, updated {self.updated}, "
                f"bad {self.bad}")
        if self.stopped:
            text += " (stopped early)"
        return text + (f"; error: {self.error}" if self.error else "")

    @property
    def changed(self) -> bool:
        return bool(self.new or self.updated)


class _Guard:
    """Wraps a collector generator: ends it on ``stop``, keeps its error for later."""

    def __init__(self, records: Iterable[RawRecord], stop: threading.Event | None):
        self.records, self.stop = records, stop
        self.error: Exception | None = None
        self.stopped = False

    def __iter__(self) -> Iterator[RawRecord]:
        it = iter(self.records)
        try:
            while True:
                if self.stop is not None and self.stop.is_set():
                    self.stopped = True
                    return
                try:
                    record = next(it)
                except StopIteration:
                    return
                except Exception as e:  # noqa: BLE001 - recorded as the run's error
                    self.error = e
                    return
                yield record
        finally:
            close = getattr(it, "close", None)
            if close:
                close()


def token_fingerprint(secret: Any) -> str | None:
    """sha256 of a token (a SecretStr or str); None when there is no token."""
    value = secret.get_secret_value() if hasattr(secret, "get_secret_value") else secret
    return hashlib.sha256(value.encode()).hexdigest() if value else None


def collect_source(
    name: str, *, engine: Engine, settings: Settings, client: Any = None,
    stop: threading.Event | None = None,
) -> RunSummary:
    """Run the collector of source ``name`` once from its saved cursor."""
    from cqfriends.collectors import get_collector

    collector = get_collector(name)
    cfg = getattr(settings.sources, name)
    fingerprint = token_fingerprint(getattr(cfg, collector.token_field))

    def records(cursor: dict[str, Any]) -> Iterable[RawRecord]:
        return collector.module().collect(cfg, cursor, client)

    return run_guarded(name, records, engine=engine, settings=settings, fingerprint=fingerprint,
                       stop=stop)


def run_guarded(
    source: str, make_records: Callable[[dict[str, Any]], Iterable[RawRecord]], *,
    engine: Engine, settings: Settings, fingerprint: str | None,
    stop: threading.Event | None = None, run_name: str | None = None,
) -> RunSummary:
    """Check the source's state, ingest what ``make_records(cursor)`` yields, record the run.

    Then every post still unchecked is checked (``scheduler.checks_after_collect``).
    """
    run_name = run_name or source
    summary = RunSummary(run_name)
    with session_scope(engine, write=True) as session:
        state = get_source_state(session=session, source=source)
        summary.skipped = skip_reason(state, fingerprint=fingerprint, now=utcnow())
        summary.state = state.state
        cursor = dict(state.cursor or {})
    if summary.skipped:
        return summary
    with recorded_run(engine, run_name) as run:
        guard = _Guard(_lazy(make_records, cursor), stop)
        try:
            ingested = ingest_records(guard, engine=engine, options=normalize_options(settings))
        except Exception as e:  # a database error: record it, then let the job fail loudly
            _finish(summary, engine, run, fingerprint, source, e)
            raise
        summary.fetched, summary.new, summary.updated = (ingested.read, ingested.new,
                                                         ingested.updated)
        summary.bad, summary.stopped = ingested.bad, guard.stopped
        _finish(summary, engine, run, fingerprint, source, guard.error)
    if settings.scheduler.checks_after_collect:
        run_checks_safely(engine=engine, settings=settings, stop=stop)
    return summary


def _lazy(make: Callable[[dict[str, Any]], Iterable[RawRecord]], cursor: dict[str, Any]
          ) -> Iterator[RawRecord]:
    yield from make(cursor)  # building the client can raise too: count it as the run's error


def _finish(summary: RunSummary, engine: Engine, run: Run, fingerprint: str | None,
            source: str, error: Exception | None) -> None:
    if error is not None:
        summary.error = str(error) or type(error).__name__
        if not isinstance(error, BadInput | AuthError | RateLimited):
            log.warning("%s: collector failed", source, exc_info=error)
    run.finish(engine=engine, fetched=summary.fetched, new=summary.new,
               updated=summary.updated, bad=summary.bad, error=summary.error)
    with session_scope(engine, write=True) as session:
        if error is None:
            mark_success(session=session, source=source, fingerprint=fingerprint)
            summary.state = "ok"
        elif isinstance(error, RateLimited):
            reset_at = error.reset_at or utcnow() + timedelta(minutes=15)
            mark_error(session=session, source=source, error=summary.error or "",
                       state_name="rate_limited", reset_at=reset_at)
            summary.state = "rate_limited"
        elif isinstance(error, AuthError):
            mark_error(session=session, source=source, error=summary.error or "",
                       state_name="broken", fingerprint=fingerprint)
            summary.state = "broken"
        else:
            mark_error(session=session, source=source, error=summary.error or "")
