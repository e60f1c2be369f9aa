"""The main job: the scheduler run only by the one process that leads, and the web app.

``MainJob`` runs the scheduler (``scheduler.build_scheduler``) only while this
process can prove it holds the leadership lock (``store.leader``); every other
``cqf run`` stands by and serves the web app.  ``serve`` pairs the two in one
process until SIGTERM/SIGINT, then exits within 10 s whatever the jobs are doing.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from cqfriends.scheduler import build_scheduler
from cqfriends.store.db import session_scope
from cqfriends.store.leader import (
    Leadership,
    beat,
    beat_if_holder,
    busy_predecessor,
    clear_beat,
    process_beat_name,
)
from cqfriends.store.models import utcnow

if TYPE_CHECKING:  # APScheduler and uvicorn are imported where used: the CLI starts faster
    from apscheduler.schedulers.background import BackgroundScheduler  # type: ignore[import-untyped]
    from sqlalchemy.engine import Engine

    from cqfriends.settings import Settings

log = logging.getLogger(__name__)
# SIGTERM -> exit within 10 s in every state: jobs get STOP_GRACE_SECONDS to finish the
# batch in hand, the goodbye heartbeat FINAL_WRITE_SECONDS, and whatever still holds
# on is cut at EXIT_DEADLINE_SECONDS.
STOP_GRACE_SECONDS = 6.5
FINAL_WRITE_SECONDS = 1.0
EXIT_DEADLINE_SECONDS = 9.5


class MainJob:
    """The scheduler, run only while this process proves it leads; standbys keep trying.

    A term of leadership has its own stop event, handed to its jobs: when the lock can
    no longer be proven (its connection died), the term ends at once (no job starts,
    running ones stop after the batch in hand) and this process stands by again.  A
    new leader starts its jobs only once the previous one is dead or has said it is
    done (``store.leader.busy_predecessor``), so two processes never run jobs at once.
    """

    def __init__(self, settings: Settings, engine: Engine, *,
                 heartbeat_seconds: float | None = None, standby_seconds: float | None = None):
        self.settings, self.engine = settings, engine
        self.heartbeat_seconds = heartbeat_seconds or settings.scheduler.heartbeat_seconds
        self.standby_seconds = standby_seconds or self.heartbeat_seconds
        self.stale_after = timedelta(seconds=3 * self.heartbeat_seconds)
        self.stop = threading.Event()  # the process is stopping
        self.term_stop = threading.Event()  # the current term's jobs stop (set: no term)
        self.term_stop.set()
        self.leadership = Leadership(engine)
        self.holder = self.leadership.holder
        self.scheduler: BackgroundScheduler | None = None
        self.started_at = utcnow()
        self.running: set[str] = set()  # ids of jobs in progress
        self._wake = threading.Event()
        self._term_lock = threading.Lock()
        self._said = ""  # the last standby message (each said once)
        self._clear_pending = False  # a term ended: clear our heartbeat once its jobs are done
        self._stop_at: float | None = None  # monotonic time of the stop request
        self._thread: threading.Thread | None = None

    @property
    def leading(self) -> bool:
        return self.scheduler is not None

    def start(self) -> None:
        """Lead if possible, and keep trying (or keep beating) in a background thread."""
        self._thread = threading.Thread(target=self._loop, name="leader", daemon=True)
        self._thread.start()

    def request_stop(self) -> None:
        """From a signal handler: every job stops after the batch in hand."""
        if self._stop_at is None:
            self._stop_at = time.monotonic()
        self.stop.set()
        self.term_stop.set()
        self._wake.set()

    def _loop(self) -> None:
        while not self.stop.is_set():
            try:
                self._tick()
            except Exception as e:  # noqa: BLE001 - a database hiccup: try again next tick
                log.warning("leadership check failed: %s", _first_line(e))
            self._wake.wait(self.heartbeat_seconds if self.leading or self.running
                            else self.standby_seconds)
            self._wake.clear()

    def _tick(self) -> None:
        self._write(beat, holder=self.holder, started_at=self.started_at,
                    name=process_beat_name(self.holder))
        if self.scheduler is not None:
            if self.leadership.holds():
                self._write(beat, holder=self.holder, started_at=self.started_at)
                self._sweep()
            else:
                self._end_term("cannot prove this process still holds the scheduler lock")
            return
        if self.running:  # a lost term's jobs are finishing: the next leader waits for them
            self._write(beat_if_holder, holder=self.holder)
            return
        if self._clear_pending and self._write(clear_beat, holder=self.holder):
            self._clear_pending = False
        if not (self.leadership.try_acquire() and self.leadership.holds()):
            self._say("another process leads the scheduler; standing by "
                      f"(retry every {self.standby_seconds:g}s)")
            return
        with session_scope(self.engine) as session:
            busy = busy_predecessor(session=session, holder=self.holder,
                                    stale_after=self.stale_after)
        if busy:
            self._say(f"won the scheduler lock; waiting for {busy} to finish its jobs")
            return
        self._lead()

    def _lead(self) -> None:
        self.started_at = utcnow()
        with session_scope(self.engine, write=True) as session:
            beat(session=session, holder=self.holder, started_at=self.started_at)
        self._sweep()
        term_stop = threading.Event()
        scheduler = build_scheduler(self.settings, self.engine, term_stop, self.running,
                                    may_start=functools.partial(self._may_start, term_stop))
        with self._term_lock:
            if self.stop.is_set():
                return
            self.term_stop, self.scheduler, self._said = term_stop, scheduler, ""
            scheduler.start()
        log.info("scheduler leader (%s): %d jobs", self.holder, len(scheduler.get_jobs()))

    def _may_start(self, term_stop: threading.Event) -> bool:
        """Asked by each job before it starts: is its term still on, and the lock still ours?"""
        if term_stop.is_set() or term_stop is not self.term_stop:
            return False
        if self.leadership.holds():
            return True
        self._end_term("cannot prove this process still holds the scheduler lock")
        return False

    def _end_term(self, reason: str | None) -> None:
        """No job of this term starts any more; running ones stop after the batch in hand."""
        with self._term_lock:
            scheduler, self.scheduler = self.scheduler, None
            self.term_stop.set()
            if scheduler is None:
                return
            self._clear_pending = True
        if reason:
            log.error("%s: no job starts, running ones stop after the batch in hand; "
                      "standing by", reason)
        with contextlib.suppress(Exception):
            scheduler.shutdown(wait=False)
        self._wake.set()

    def _sweep(self) -> None:
        from cqfriends.jobs.runs import sweep_runs

        try:
            sweep_runs(engine=self.engine, stale_after=self.stale_after)
        except Exception as e:  # noqa: BLE001 - next tick
            log.warning("could not close the runs left open: %s", _first_line(e))

    def _write(self, func: Callable[..., None], **kwargs: Any) -> bool:
        """A heartbeat write in its own transaction: it never fails a job, nor a job it."""
        try:
            with session_scope(self.engine, write=True) as session:
                func(session=session, **kwargs)
            return True
        except Exception as e:  # noqa: BLE001 - the next tick writes again
            log.warning("heartbeat not written: %s", _first_line(e))
            return False

    def _say(self, message: str) -> None:
        if message != self._said:
            log.info("%s", message)
            self._said = message

    def _stop_scheduler(self, deadline: float) -> bool:
        """Stop starting jobs; wait until ``deadline`` for running ones. False: some still run."""
        self._end_term(None)
        while self.running and time.monotonic() < deadline:
            time.sleep(0.05)  # a job ends after the batch in hand (it sees its term_stop)
        return not self.running

    def shutdown(self, grace: float = STOP_GRACE_SECONDS) -> bool:
        """Stop within about ``grace`` seconds of the stop request; False when a job still ran.

        Nothing here may raise or wait long: each step is bounded and guarded.
        """
        self.request_stop()
        deadline = (self._stop_at or time.monotonic()) + grace
        if self._thread is not None:
            self._thread.join(timeout=min(1.0, max(0.0, deadline - time.monotonic())))
        clean = self._stop_scheduler(deadline)
        if not clean:
            log.warning("job %s still running after %.0fs; leaving it (its uncommitted batch "
                        "is read again next time)", ", ".join(sorted(self.running)), grace)
        self._final_writes(timeout=FINAL_WRITE_SECONDS)
        self.leadership.release()
        log.info("scheduler stopped")
        return clean

    def _final_writes(self, timeout: float) -> None:
        """Say at once that this process and its leadership are gone, if the database lets us."""
        def clear() -> None:
            self._write(clear_beat, holder=self.holder, name=process_beat_name(self.holder))
            self._write(clear_beat, holder=self.holder)

        writer = threading.Thread(target=clear, name="final-beat", daemon=True)
        writer.start()
        writer.join(timeout)  # a locked database must not hold up the exit


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def serve(settings: Settings, main: MainJob, *, host: str, port: int,
          on_ready: Callable[[], None] | None = None) -> None:
    """The web app and the main job in one process until SIGTERM/SIGINT, then a clean exit."""
    import uvicorn

    from cqfriends.web.app import create_app

    class _Server(uvicorn.Server):
        """uvicorn without its own signal handling: web and scheduler stop together."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    # proxy_headers off, as in `cqf serve`: web.trusted_proxies (web/middleware.py) decides.
    config = uvicorn.Config(create_app(settings), host=host, port=port, log_level="warning",
                            access_log=False, timeout_graceful_shutdown=3,
                            proxy_headers=False)
    server = _Server(config)

    def on_signal(signum: int, _frame: Any) -> None:
        if not server.should_exit:
            log.info("%s: finishing the batch in hand, then stopping",
                     signal.Signals(signum).name)
            _exit_by(EXIT_DEADLINE_SECONDS)
        server.force_exit = server.should_exit  # a second signal: stop waiting for clients
        server.should_exit = True
        main.request_stop()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # ours: one line per job run
    if "CQF_LOG_LEVEL" not in os.environ:  # a long-running job logs one line per job run
        logging.getLogger().setLevel(logging.INFO)
    main.start()
    if on_ready:
        on_ready()
    clean = False
    try:
        server.run()
    finally:
        try:
            clean = main.shutdown()
        except BaseException:  # noqa: BLE001 - nothing on the way out may keep us running
            log.exception("error while stopping; exiting anyway")
    if not clean:  # a job hung in a network call: its worker thread would block the exit
        _exit_now()


def _exit_by(seconds: float) -> None:
    """Whatever still runs ``seconds`` from now (a job deaf to stop, a locked database)
    does not keep the process alive: it exits then, with 0 as a requested stop should."""
    timer = threading.Timer(seconds, _exit_now, kwargs={"why": "stop deadline reached"})
    timer.daemon = True
    timer.start()


def _exit_now(why: str = "") -> None:
    if why:
        log.warning("%s: exiting now", why)
    with contextlib.suppress(Exception):
        logging.shutdown()
    os._exit(0)


def claim_sqlite_leadership(main: MainJob) -> None:
    """On SQLite only one scheduler may run per file: refuse to start a second one."""
    from cqfriends.errors import CqfError
    from cqfriends.store.leader import lock_holder

    if main.engine.dialect.name != "sqlite" or main.leadership.try_acquire():
        return
    holder = lock_holder(main.engine) or "another process"
    raise CqfError(f"a scheduler is already running on {main.engine.url.database} "
                   f"({holder}); stop it first, or use PostgreSQL to run several processes")
