"""The main job: APScheduler jobs built from Settings, leadership, web and scheduler together.

Jobs (all ``max_instances=1``, ``coalesce``, misfire grace; times in the campaign
zone): one collection per enabled live source (interval + jitter, first run soon
after start), the Douyin watch folder, a metrics refresh, export regeneration
when posts changed, a daily maintenance job and the leader's heartbeat.  Checks
run inside each collection (``scheduler.checks_after_collect``).  What each job
does lives in ``jobs/``; the commands that start it (``cqf run``, ``demo``,
``collect``, ``jobs``, ``status``) in ``jobs/cli.py``.

``MainJob`` holds the scheduler only while it holds the leadership
(``store.leader``); ``serve`` pairs it with the web app in one process.
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
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from cqfriends.store.db import session_scope
from cqfriends.store.leader import Leadership, beat, clear_beat
from cqfriends.store.models import utcnow

if TYPE_CHECKING:  # APScheduler and uvicorn are imported where used: the CLI starts faster
    from apscheduler.schedulers.background import BackgroundScheduler  # type: ignore[import-untyped]
    from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]
    from sqlalchemy.engine import Engine

    from cqfriends.settings import Settings

log = logging.getLogger(__name__)
JOB_DEFAULTS = {"max_instances": 1, "coalesce": True, "misfire_grace_time": 300}
LIVE_SOURCES = ("twitter", "facebook")
STANDBY_SECONDS = 15.0
HEARTBEAT_SECONDS = 20.0
FIRST_RUN_DELAY = timedelta(seconds=3)
STOP_GRACE_SECONDS = 7.0  # SIGTERM -> exit within 10 s, web server included
# Export entry points, looked up when the job is built: (module, function) per export.
EXPORTS = (("cqfriends.export.site", "build_site", "site_dir"),
           ("cqfriends.export.led", "write_led", "led_dir"))


@dataclass
class JobSpec:
    id: str
    name: str
    trigger: Any
    func: Callable[[], Any]
    first_run: datetime | None = None  # None: the trigger's own first time


def build_jobs(settings: Settings, engine: Engine, stop: threading.Event | None = None
               ) -> list[JobSpec]:
    """The jobs ``settings`` asks for (pure: nothing runs)."""
    from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]
    from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]

    from cqfriends.jobs.collect import collect_source
    from cqfriends.jobs.exports import Exporter
    from cqfriends.jobs.metrics import refresh_metrics
    from cqfriends.jobs.watch import import_watch_folder

    tz = settings.campaign.tz
    soon = datetime.now(tz) + FIRST_RUN_DELAY
    jobs: list[JobSpec] = []
    for name in LIVE_SOURCES:
        cfg = getattr(settings.sources, name)
        if cfg.enabled:
            jobs.append(JobSpec(
                f"collect:{name}", f"collect {name}", _interval(cfg.schedule, tz),
                functools.partial(collect_source, name, engine=engine, settings=settings,
                                  stop=stop),
                soon))
    douyin = settings.sources.douyin
    if douyin.enabled:
        jobs.append(JobSpec(
            "watch:douyin", f"import Douyin exports from {douyin.watch_folder}",
            _interval(douyin.schedule, tz),
            lambda: import_watch_folder(engine=engine, settings=settings, stop=stop), soon))
    if any(getattr(settings.sources, n).enabled for n in LIVE_SOURCES):
        jobs.append(JobSpec(
            "metrics", f"refresh metrics of posts younger than "
            f"{settings.scheduler.metrics_max_age_days} days",
            IntervalTrigger(minutes=settings.scheduler.metrics_minutes, timezone=tz),
            lambda: refresh_metrics(engine=engine, settings=settings, stop=stop)))
    exporter = Exporter(settings, engine, EXPORTS)
    if exporter.targets:
        jobs.append(JobSpec("export", "regenerate " + ", ".join(exporter.names) + " if changed",
                            IntervalTrigger(minutes=5, timezone=tz), exporter.run_if_changed,
                            soon + FIRST_RUN_DELAY))
    jobs.append(JobSpec("maintenance", "expire claims, vacuum/analyze (daily)",
                        CronTrigger(hour=4, minute=30, timezone=tz),
                        lambda: run_maintenance(engine)))
    return jobs


def list_jobs(settings: Settings, engine: Engine) -> list[dict[str, str]]:
    """The jobs the scheduler would run, with their next run times (campaign zone)."""
    from cqfriends.jobs.status import status_report

    tz = settings.campaign.tz
    now = datetime.now(tz)
    facts = {s["source"]: s for s in status_report(engine=engine, settings=settings)["sources"]}
    rows = []
    for spec in build_jobs(settings, engine):
        source = spec.id.partition(":")[2]
        if source in facts:
            due = facts[source]["next_run_at"]
            when = (_local(due, tz) if due
                    else f"not running ({facts[source]['token']} token)")
        else:
            fire = spec.first_run or spec.trigger.get_next_fire_time(None, now)
            when = fire.strftime("%Y-%m-%d %H:%M %Z") if fire else "-"
        rows.append({"id": spec.id, "name": spec.name, "schedule": str(spec.trigger),
                     "next_run": when})
    return rows


def _local(iso: str, tz: Any) -> str:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(tz).strftime(
        "%Y-%m-%d %H:%M %Z")


def _interval(schedule: Any, tz: Any) -> IntervalTrigger:
    from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]

    return IntervalTrigger(minutes=schedule.minutes, jitter=schedule.jitter_seconds or None,
                           timezone=tz)


def build_scheduler(settings: Settings, engine: Engine, stop: threading.Event | None = None,
                    running: set[str] | None = None) -> BackgroundScheduler:
    from apscheduler.schedulers.background import BackgroundScheduler  # type: ignore[import-untyped]

    scheduler = BackgroundScheduler(timezone=settings.campaign.tz, job_defaults=JOB_DEFAULTS)
    for spec in build_jobs(settings, engine, stop):
        extra = {"next_run_time": spec.first_run} if spec.first_run else {}
        scheduler.add_job(logged(spec, running), spec.trigger, id=spec.id, name=spec.name,
                          **extra)
    return scheduler


def logged(spec: JobSpec, running: set[str] | None = None) -> Callable[[], None]:
    """One log line per job run, and no exception escapes into APScheduler.

    ``running`` holds the ids of the jobs in progress (for a bounded shutdown).
    """
    running = set() if running is None else running

    def run() -> None:
        started = time.monotonic()
        running.add(spec.id)
        try:
            result = spec.func()
        except Exception:
            log.exception("job %s failed after %.1fs", spec.id, time.monotonic() - started)
            return
        finally:
            running.discard(spec.id)
        lines = [r.line() for r in result] if isinstance(result, list) else [
            result.line() if hasattr(result, "line") else str(result or "done")]
        log.info("job %s: %s (%.1fs)", spec.id, "; ".join(lines) or "nothing to do",
                 time.monotonic() - started)

    return run


def run_maintenance(engine: Engine) -> str:
    from cqfriends.store.maintenance import expire_claims, vacuum_analyze

    with session_scope(engine) as session:
        released = expire_claims(session=session)
    vacuum_analyze(engine)
    return f"released {released} expired claims; vacuum/analyze done"


class MainJob:
    """The scheduler, run only while this process leads; standbys retry every 15 s."""

    def __init__(self, settings: Settings, engine: Engine, *,
                 standby_seconds: float = STANDBY_SECONDS):
        self.settings, self.engine = settings, engine
        self.stop = threading.Event()
        self.leadership = Leadership(engine)
        self.standby_seconds = standby_seconds
        self.scheduler: BackgroundScheduler | None = None
        self.started_at = utcnow()
        self.running: set[str] = set()  # ids of jobs in progress
        self._standby_said = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Lead if possible, and keep trying (or keep beating) in a background thread."""
        self._thread = threading.Thread(target=self._loop, name="leader", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self.stop.is_set():
            try:
                self._tick()
            except Exception:  # noqa: BLE001 - a database hiccup: try again next tick
                log.exception("leadership check failed")
            wait = HEARTBEAT_SECONDS if self.scheduler else self.standby_seconds
            self.stop.wait(wait)

    def _tick(self) -> None:
        if self.scheduler is None:
            if self.leadership.try_acquire():
                self._lead()
            elif not self._standby_said:
                log.info("another process leads the scheduler; standing by (retry every %.0fs)",
                         self.standby_seconds)
                self._standby_said = True
            return
        if not self.leadership.alive():
            log.error("lost the scheduler leadership; standing by")
            self._stop_scheduler()
            return
        with session_scope(self.engine) as session:
            beat(session=session, holder=self.leadership.holder, started_at=self.started_at)

    def _lead(self) -> None:
        from cqfriends.store.sources import close_interrupted_runs

        self.started_at = utcnow()
        with session_scope(self.engine) as session:
            beat(session=session, holder=self.leadership.holder, started_at=self.started_at)
            if closed := close_interrupted_runs(session=session):
                log.warning("closed %d collector runs a stopped scheduler left open", closed)
        self.scheduler = build_scheduler(self.settings, self.engine, self.stop, self.running)
        self.scheduler.start()
        log.info("scheduler leader (%s): %d jobs", self.leadership.holder,
                 len(self.scheduler.get_jobs()))

    def _stop_scheduler(self, grace: float | None = None) -> bool:
        """Stop starting jobs; wait up to ``grace`` s for running ones. False: some still run."""
        if self.scheduler is None:
            return True
        self.scheduler.shutdown(wait=grace is None)
        self.scheduler = None
        deadline = time.monotonic() + (grace or 0)
        while self.running and time.monotonic() < deadline:
            time.sleep(0.05)  # a job ends after the batch in hand (it sees ``stop``)
        return not self.running

    @property
    def leading(self) -> bool:
        return self.scheduler is not None

    def shutdown(self, grace: float = STOP_GRACE_SECONDS) -> bool:
        """Stop within about ``grace`` seconds; False when a job was still running then."""
        self.stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        was_leading = self.leading
        clean = self._stop_scheduler(grace)
        if not clean:
            log.warning("job %s still running after %.0fs; leaving it (its uncommitted page "
                        "is fetched again next time)", ", ".join(sorted(self.running)), grace)
        if was_leading:
            with session_scope(self.engine) as session:
                clear_beat(session=session, holder=self.leadership.holder)
        self.leadership.release()
        log.info("scheduler stopped")
        return clean


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
        log.info("%s: finishing the batch in hand, then stopping", signal.Signals(signum).name)
        server.force_exit = server.should_exit  # a second signal: stop waiting for clients
        server.should_exit = True
        main.stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # ours: one line per job run
    if "CQF_LOG_LEVEL" not in os.environ:  # a long-running job logs one line per job run
        logging.getLogger().setLevel(logging.INFO)
    main.start()
    if on_ready:
        on_ready()
    try:
        server.run()
    finally:
        clean = main.shutdown()
    if not clean:  # a job hung in a network call: its worker thread would block the exit
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
