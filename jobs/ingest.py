"""Importing files: read -> normalize -> upsert -> checks, for ``cqf import`` and the demo.

The watch folder (``jobs.watch``) and the live collectors (``jobs.collect``)
run the same ``ingest_records`` path and then the same checks.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from sqlalchemy.engine import Engine

from cqfriends.errors import BadInput
from cqfriends.normalize.post import RawRecord
from cqfriends.settings import Settings
from cqfriends.store.db import session_scope
from cqfriends.store.imports import record_import
from cqfriends.store.ingest import IngestSummary, ingest_records, normalize_options

log = logging.getLogger(__name__)
READERS = {"twitter": "search_page", "facebook": "graph_page"}


def read_file(
    source: str, path: Path, *, column_aliases: dict[str, str] | None = None
) -> Iterator[RawRecord]:
    """The raw records of one archive or export file of ``source``."""
    if source in ("douyin", "tiktok"):
        from cqfriends.collectors import douyin, tiktok
        reader = douyin.read_export if source == "douyin" else tiktok.read_export
        return reader(path, column_aliases=column_aliases)
    if source in READERS:
        from cqfriends.collectors.files import read_archive
        return read_archive(path, source=source, kind=READERS[source])
    raise BadInput(f"unknown source {source!r}; expected twitter, facebook, douyin or tiktok")


def import_files(
    source: str, paths: Iterable[Path], *, engine: Engine, settings: Settings,
    on_progress: Callable[[int], None] | None = None, stop: threading.Event | None = None,
) -> IngestSummary:
    """Import files; a file that cannot be read at all counts as one bad input.

    ``stop`` ends the import after the batch in hand (what was read is committed).
    """
    total = IngestSummary()
    options = normalize_options(settings)
    for path in paths:
        if stop is not None and stop.is_set():
            break
        try:
            digest = _sha256(path)
            records = read_file(source, path, column_aliases=options.column_aliases)
            summary = ingest_records(_until(records, stop), engine=engine, options=options,
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
        with session_scope(engine, write=True) as session:
            record_import(session=session, sha256=digest, name=path.name, source=source,
                          read=summary.read, new=summary.new, updated=summary.updated,
                          bad=summary.bad)
        log.info("imported %s: %s", path, summary.line())
        total.merge(summary)
    return total


def _until(records: Iterable[RawRecord], stop: threading.Event | None) -> Iterator[RawRecord]:
    if stop is None:
        yield from records
        return
    for record in records:
        if stop.is_set():
            return
        yield record


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def run_checks_safely(*, engine: Engine, settings: Settings,
                      stop: threading.Event | None = None) -> str:
    """Check every post still unchecked (an interrupted run's included), if any.

    A failing check run must not fail the collection before it: logged, and the
    next run (or the scheduler's leftovers job) checks what is left.
    """
    from cqfriends.moderation.checks.runner import run_checks
    from cqfriends.store.checks import count_unchecked

    if stop is not None and stop.is_set():
        return "stopping: checks left for the next run"
    # In-process language detection: the main job is multithreaded, and forking a
    # process pool from a threaded process can deadlock the children.
    languages = settings.languages.model_copy(update={"workers": 1})
    try:
        with session_scope(engine) as session:
            if not count_unchecked(session=session):
                return "no unchecked posts"
        summary = run_checks(engine=engine, stop=stop,
                             settings=settings.model_copy(update={"languages": languages}))
    except Exception:  # noqa: BLE001 - logged; the next run retries unchecked posts
        log.exception("checks after collection failed")
        return "checks failed (see the log)"
    return summary.line()
