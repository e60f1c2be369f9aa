"""Collector runs that are always closed: by their job, or by the leader when nobody will.

``recorded_run`` opens a run under this process's HOST:PID and closes it however
the job ends (an exception closes it with that error).  Should even that fail (the
database went away), ``sweep_runs``, which the scheduler leader calls on every
heartbeat, closes it later: runs of a dead process as interrupted, runs of this
process that no job holds any more as failed.  A live process's run is never touched.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.engine import Engine

from cqfriends.store.db import session_scope
from cqfriends.store.leader import (
    forget_processes,
    holder_id,
    process_alive,
    read_process_beats,
)
from cqfriends.store.models import utcnow
from cqfriends.store.sources import ABANDONED, INTERRUPTED, close_runs, finish_run, open_runs
from cqfriends.store.sources import start_run as open_run

log = logging.getLogger(__name__)
ACTIVE: set[int] = set()  # ids of the runs jobs of this process are in
FORGET_PROCESSES_AFTER = timedelta(days=1)  # heartbeat rows of processes gone that long


@dataclass
class Run:
    id: int
    closed: bool = False

    def finish(self, *, engine: Engine, fetched: int, new: int, updated: int, bad: int,
               error: str | None = None) -> None:
        with session_scope(engine, write=True) as session:
            finish_run(session=session, run_id=self.id, fetched=fetched, new=new,
                       updated=updated, bad=bad, error=error)
        self.closed = True


@contextmanager
def recorded_run(engine: Engine, source: str) -> Iterator[Run]:
    """A run of ``source`` for the ``with`` body; an exception closes it with its message."""
    with session_scope(engine, write=True) as session:
        run = Run(open_run(session=session, source=source, holder=holder_id()).id or 0)
        ACTIVE.add(run.id)  # before the commit: a sweep never sees it unheld
    try:
        yield run
    except BaseException as e:
        if not run.closed:
            _close_failed(engine, run, e)
        raise
    finally:
        ACTIVE.discard(run.id)
    if not run.closed:  # the job forgot: still a closed run
        _close_failed(engine, run, None)


def _close_failed(engine: Engine, run: Run, error: BaseException | None) -> None:
    text = (str(error).splitlines() or [type(error).__name__])[0] if error else ABANDONED
    try:
        run.finish(engine=engine, fetched=0, new=0, updated=0, bad=0,
                   error=f"failed: {text}" if error else text)
    except Exception:  # noqa: BLE001 - the database is gone too; sweep_runs closes it later
        log.warning("run %d could not be closed now; the scheduler closes it later", run.id)


def sweep_runs(*, engine: Engine, stale_after: timedelta) -> int:
    """Close the open runs no job will finish; returns how many."""
    me, now = holder_id(), utcnow()
    with session_scope(engine, write=True) as session:
        beats = read_process_beats(session=session)
        dead, abandoned = [], []
        for run in open_runs(session=session):
            if run.holder == me:
                if run.id not in ACTIVE:
                    abandoned.append(run.id or 0)
            elif not process_alive(run.holder, beats=beats, now=now, stale_after=stale_after):
                dead.append(run.id or 0)
        closed = close_runs(session=session, run_ids=dead, error=INTERRUPTED)
        closed += close_runs(session=session, run_ids=abandoned, error=ABANDONED)
        forget_processes(session=session, before=now - FORGET_PROCESSES_AFTER)
    if closed:
        log.warning("closed %d collector runs left open (%d of stopped processes)", closed,
                    len(dead))
    return closed
