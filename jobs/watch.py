"""The Douyin watch folder: each finished export is imported once, then moved out of the way.

Rules (``jobs.inbox`` decides which files are ready and does the moving):

- a file is read only once it has not changed for ``sources.douyin.settle_seconds``;
- a file that changed while it was read stays and is read again once it settles
  (rows already stored are not stored twice), and one that changes in ``done/``
  after it was moved (its writer only paused) comes back to be read again: a
  writer's later rows are read too;
- a file read whole moves to ``done/``; with bad rows, a ``.report.txt`` beside it
  names them; a file nothing could be imported from moves to ``failed/`` with its report;
- a problem file never stops the others; only a database failure ends the run
  (the file stays, to be read when the database is back);
- every run is recorded and closed with its errors, and the source is marked
  with them, so ``cqf status`` and ``/healthz`` show it.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from cqfriends.errors import BadInput
from cqfriends.jobs.collect import RunSummary
from cqfriends.jobs.inbox import (
    Snapshot,
    move_read_file,
    report_path,
    return_grown_files,
    waiting_files,
)
from cqfriends.jobs.ingest import import_files, run_checks_safely
from cqfriends.jobs.runs import recorded_run
from cqfriends.settings import Settings
from cqfriends.store.db import is_database_error, session_scope
from cqfriends.store.ingest import IngestSummary
from cqfriends.store.sources import mark_error, mark_success

log = logging.getLogger(__name__)
SOURCE = "douyin"


def import_watch_folder(*, engine: Engine, settings: Settings,
                        stop: threading.Event | None = None) -> RunSummary:
    """Import the exports waiting in the watch folder (one recorded run), then check."""
    summary = RunSummary(SOURCE)
    cfg = settings.sources.douyin
    try:
        return_grown_files()
    except OSError as e:
        log.warning("cannot move a grown file back from done/: %s", e)
    ready, settling = waiting_files(Path(cfg.watch_folder), settle_seconds=cfg.settle_seconds)
    if settling:
        log.info("%d files in %s are still changing; each is read once quiet for %gs",
                 len(settling), cfg.watch_folder, cfg.settle_seconds)
    if ready:
        _import_ready(ready, summary, engine=engine, settings=settings, stop=stop)
    else:  # an empty look is not worth a run record, but the job is alive
        with session_scope(engine, write=True) as session:
            mark_success(session=session, source=SOURCE, fingerprint=None)
    if settings.scheduler.checks_after_collect:
        run_checks_safely(engine=engine, settings=settings, stop=stop)
    return summary


def _import_ready(ready: list[Snapshot], summary: RunSummary, *, engine: Engine,
                  settings: Settings, stop: threading.Event | None) -> None:
    with recorded_run(engine, SOURCE) as run:
        problems = []
        for snap in ready:
            if stop is not None and stop.is_set():
                summary.stopped = True
                break
            if problem := _import_file(snap, summary, engine=engine, settings=settings,
                                       stop=stop):
                problems.append(problem)
        summary.error = "; ".join(problems) or None
        run.finish(engine=engine, fetched=summary.fetched, new=summary.new,
                   updated=summary.updated, bad=summary.bad, error=summary.error)
    with session_scope(engine, write=True) as session:
        if summary.error:
            mark_error(session=session, source=SOURCE, error=summary.error)
        else:
            mark_success(session=session, source=SOURCE, fingerprint=None)


def _import_file(looked: Snapshot, summary: RunSummary, *, engine: Engine, settings: Settings,
                 stop: threading.Event | None) -> str | None:
    """Import one file and move it; returns what went wrong with it, for the run's error."""
    path = looked.path
    try:
        before = Snapshot.of(path)
    except FileNotFoundError:
        return None  # taken away meanwhile
    if before != looked:
        return None  # changed since the look: read once it settles again
    part = _read(path, engine=engine, settings=settings, stop=stop)
    summary.fetched += part.read
    summary.new, summary.updated = summary.new + part.new, summary.updated + part.updated
    summary.bad += part.bad
    if stop is not None and stop.is_set():
        summary.stopped = True  # maybe not read to the end: stays, read again next time
        return None
    try:
        if Snapshot.of(path) != before:
            log.info("%s changed while it was read; it is read again once it settles", path)
            return None
        return _file_away(before, part)
    except OSError as e:
        log.warning("%s: cannot move it: %s", path, e.strerror)
        return f"{path.name}: read, but cannot be moved ({e.strerror})"


def _read(path: Path, *, engine: Engine, settings: Settings, stop: threading.Event | None
          ) -> IngestSummary:
    try:
        return import_files(SOURCE, [path], engine=engine, settings=settings, stop=stop)
    except Exception as e:
        if is_database_error(e):
            raise  # the database, not the file: the run ends and the file waits for it
        log.exception("%s: the import failed", path)
        part = IngestSummary(read=1)
        part.add_error(BadInput(f"cannot be imported: {type(e).__name__}: {e}", file=str(path)))
        return part


def _file_away(read: Snapshot, part: IngestSummary) -> str | None:
    """Move the file read to done/ or failed/ with its report; the problem it had, if any."""
    unusable = part.bad > 0 and part.read - part.bad <= 0
    to = "failed" if unusable else "done"
    moved = move_read_file(read, to)
    if moved is None:
        return None  # replaced meanwhile: the new file is read in its turn
    if not part.bad:
        return None
    report = write_report(moved, part, unusable=unusable)
    what = "nothing could be imported" if unusable else f"{part.bad} bad rows"
    return f"{read.path.name}: {what} (report: {to}/{report.name})"


def write_report(path: Path, summary: IngestSummary, *, unusable: bool = False) -> Path:
    """``<name>.report.txt`` beside the moved file: its counts and every bad row."""
    when = datetime.now().astimezone().isoformat(timespec="seconds")
    if unusable:
        advice = ["Nothing in this file could be imported. Fix it and drop it in the watch "
                  "folder again.", "此文件无法导入。请修正后重新放入监视文件夹。"]
    else:
        advice = ["Good rows are stored. Fix the bad rows and drop the file in the watch "
                  "folder again (rows already stored are not duplicated).",
                  "正确的行已保存。请修正错误的行后将文件重新放入监视文件夹（已保存的行不会重复）。"]
    lines = [f"{path.name}: imported {when}", summary.line(), *advice, ""]
    lines += [str(e) for e in summary.errors]
    if summary.bad > len(summary.errors):
        lines.append(f"... and {summary.bad - len(summary.errors)} more")
    report = report_path(path)
    report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    log.warning("%s: %d bad rows, report in %s", path, summary.bad, report)
    return report
