"""The ingest path end to end: read or collect -> normalize -> upsert -> checks.

It sits in ``moderation`` because it ends with the checks that queue posts
for moderators; the CLI, the watch folder and the scheduler all call it.

A live collection (``collect_source``) honours the source's state: a
rate-limited source is skipped until its reset time, one whose token was refused
until the token changes (compared by sha256 fingerprint; the token itself is
never stored).  Every run is recorded as a ``CollectorRun``.  A ``stop`` event
ends a run after the page in hand: its posts and cursor are committed first.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from normalize.errors import AuthError, BadInput, RateLimited
from normalize.post import RawRecord
from settings import Settings
from store.db import session_scope
from store.imports import record_import
from store.ingest import IngestSummary, ingest_records, normalize_options
from store.models import utcnow
from store.sources import (
    finish_run,
    get_source_state,
    mark_error,
    mark_success,
    skip_reason,
    start_run,
)

log = logging.getLogger(__name__)
READERS = {"twitter": "search_page", "facebook": "graph_page"}


def read_file(
    source: str, path: Path, *, column_aliases: dict[str, str] | None = None
) -> Iterator[RawRecord]:
    """The raw records of one archive or export file of ``source``."""
    if source == "douyin":
        from collectors.douyin import read_export
        return read_export(path, column_aliases=column_aliases)
    if source in READERS:
        from collectors.files import read_json_pages
        return read_json_pages(path, source=source, kind=READERS[source])
    raise BadInput(f"unknown source {source!r}; expected twitter, facebook or douyin")


def import_files(
    source: str, paths: Iterable[Path], *, engine: Engine, settings: Settings,
    on_progress: Callable[[int], None] | None = None,
) -> IngestSummary:
    """Import files; a file that cannot be read at all counts as one bad input."""
    total = IngestSummary()
    options = normalize_options(settings)
    for path in paths:
        try:
            digest = _sha256(path)
            summary = ingest_records(read_file(source, path, column_aliases=options.column_aliases),
                                     engine=engine, options=options,
                                     on_progress=on_progress)
        except OSError as e:
            total.add_error(BadInput(f"cannot read: {e.strerror}", file=str(path)))
            total.read += 1
            continue
        except BadInput as e:
            if e.file is None:
                e = BadInput(e.reason, file=str(path), line=e.line, field=e.field)
            total.add_error(e)
            total.read += 1
            continue
        with session_scope(engine) as session:
            record_import(session=session, sha256=digest, name=path.name, source=source,
                          read=summary.read, new=summary.new, updated=summary.updated,
                          bad=summary.bad)
        log.info("imported %s: %s", path, summary.line())
        total.merge(summary)
    return total


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


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
    from collectors import get_collector

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
    """Check the source's state, ingest what ``make_records(cursor)`` yields, record the run."""
    run_name = run_name or source
    summary = RunSummary(run_name)
    with session_scope(engine) as session:
        state = get_source_state(session=session, source=source)
        summary.skipped = skip_reason(state, fingerprint=fingerprint, now=utcnow())
        summary.state = state.state
        cursor = dict(state.cursor or {})
        if summary.skipped:
            return summary
        run_id = start_run(session=session, source=run_name).id
    guard = _Guard(_lazy(make_records, cursor), stop)
    try:
        ingested = ingest_records(guard, engine=engine, options=normalize_options(settings))
    except Exception as e:  # a database error: record it, then let the job fail loudly
        _finish(summary, engine, run_id, fingerprint, source, e)
        raise
    summary.fetched, summary.new, summary.updated = ingested.read, ingested.new, ingested.updated
    summary.bad, summary.stopped = ingested.bad, guard.stopped
    _finish(summary, engine, run_id, fingerprint, source, guard.error)
    if summary.changed and settings.scheduler.checks_after_collect:
        run_checks_safely(engine=engine, settings=settings)
    return summary


def _lazy(make: Callable[[dict[str, Any]], Iterable[RawRecord]], cursor: dict[str, Any]
          ) -> Iterator[RawRecord]:
    yield from make(cursor)  # building the client can raise too: count it as the run's error


def _finish(summary: RunSummary, engine: Engine, run_id: int | None, fingerprint: str | None,
            source: str, error: Exception | None) -> None:
    if error is not None:
        summary.error = str(error) or type(error).__name__
        if not isinstance(error, BadInput | AuthError | RateLimited):
            log.warning("%s: collector failed", source, exc_info=error)
    with session_scope(engine) as session:
        finish_run(session=session, run_id=run_id or 0, fetched=summary.fetched, new=summary.new,
                   updated=summary.updated, bad=summary.bad, error=summary.error)
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


def run_checks_safely(*, engine: Engine, settings: Settings) -> None:
    """Checks after a collection; a failing check run must not fail the collection."""
    from moderation.checks.runner import run_checks

    # In-process language detection: the main job is multithreaded, and forking a
    # process pool from a threaded process can deadlock the children.
    languages = settings.languages.model_copy(update={"workers": 1})
    try:
        run_checks(engine=engine, settings=settings.model_copy(update={"languages": languages}))
    except Exception:  # noqa: BLE001 - logged; the next run retries unchecked posts
        log.exception("checks after collection failed")


def import_watch_folder(*, engine: Engine, settings: Settings,
                        stop: threading.Event | None = None) -> RunSummary:
    """Import Douyin exports waiting in the watch folder (one recorded run).

    A clean file moves to ``done/``; a file with bad rows stays, with a report
    ``<name>.report.txt`` beside it, and is not re-imported until it changes.
    """
    from collectors.douyin import move_done, pending_files

    summary = RunSummary("douyin")
    folder = Path(settings.sources.douyin.watch_folder)
    files = [p for p in pending_files(folder) if not _reported(p)]
    if not files:  # an empty look is not worth a run record, but the job is alive
        with session_scope(engine) as session:
            mark_success(session=session, source="douyin", fingerprint=None)
        return summary
    with session_scope(engine) as session:
        run_id = start_run(session=session, source="douyin").id
    for path in files:
        if stop is not None and stop.is_set():
            summary.stopped = True
            break
        part = import_files("douyin", [path], engine=engine, settings=settings)
        summary.fetched += part.read
        summary.new, summary.updated = summary.new + part.new, summary.updated + part.updated
        summary.bad += part.bad
        if part.bad:
            write_report(path, part)
        else:
            report_path(path).unlink(missing_ok=True)
            move_done(path)
    if summary.bad:
        summary.error = f"{summary.bad} bad rows; see the .report.txt files in {folder}"
    with session_scope(engine) as session:
        finish_run(session=session, run_id=run_id or 0, fetched=summary.fetched,
                   new=summary.new, updated=summary.updated, bad=summary.bad, error=summary.error)
        if summary.bad:
            mark_error(session=session, source="douyin", error=summary.error or "")
        else:
            mark_success(session=session, source="douyin", fingerprint=None)
    if summary.changed and settings.scheduler.checks_after_collect:
        run_checks_safely(engine=engine, settings=settings)
    return summary


def report_path(path: Path) -> Path:
    return path.with_name(path.name + ".report.txt")


def _reported(path: Path) -> bool:
    """A file already reported on, and unchanged since, waits for a person."""
    report = report_path(path)
    try:
        return report.stat().st_mtime >= path.stat().st_mtime
    except OSError:
        return False


def write_report(path: Path, summary: IngestSummary) -> Path:
    lines = [f"{path.name}: imported {datetime.now().astimezone().isoformat(timespec='seconds')}",
             summary.line(),
             "Good rows are stored. Fix or delete the bad rows, save the file, and it is "
             "imported again (rows already stored are not duplicated).", ""]
    lines += [str(e) for e in summary.errors]
    if summary.bad > len(summary.errors):
        lines.append(f"... and {summary.bad - len(summary.errors)} more")
    report = report_path(path)
    report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    log.warning("%s: %d bad rows, report in %s", path, summary.bad, report)
    return report
