"""The Douyin watch folder: exports dropped there are imported, then moved to ``done/``."""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from cqfriends.jobs.collect import RunSummary
from cqfriends.jobs.ingest import import_files, run_checks_safely
from cqfriends.settings import Settings
from cqfriends.store.db import session_scope
from cqfriends.store.ingest import IngestSummary
from cqfriends.store.sources import finish_run, mark_error, mark_success, start_run

log = logging.getLogger(__name__)


def import_watch_folder(*, engine: Engine, settings: Settings,
                        stop: threading.Event | None = None) -> RunSummary:
    """Import Douyin exports waiting in the watch folder (one recorded run).

    A clean file moves to ``done/``; a file with bad rows stays, with a report
    ``<name>.report.txt`` beside it, and is not re-imported until it changes.
    """
    from cqfriends.collectors.douyin import move_done, pending_files

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
