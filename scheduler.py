"""The scheduler's jobs: APScheduler jobs built from Settings.

Jobs (all ``max_instances=1``, ``coalesce``, misfire grace; times in the campaign
zone): one collection per enabled live source (interval + jitter, first run soon
after start), the Douyin watch folder, checks of posts an interrupted run left
unchecked (at start-up, then every few minutes), a metrics refresh, export
regeneration when posts changed, the media archive soon after each collection
and import (``jobs.media``) and a daily maintenance job.  Checks also run
after each collection (``scheduler.checks_after_collect``).  What each job does
lives in ``jobs/``; who runs them (leadership, the web app beside them) in
``mainjob.py``; the commands in ``jobs/cli.py``.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from cqfriends.store.db import describe_database_error, is_database_error, session_scope

if TYPE_CHECKING:  # APScheduler is imported where used: the CLI starts faster
    from apscheduler.schedulers.background import BackgroundScheduler  # type: ignore[import-untyped]
    from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]
    from sqlalchemy.engine import Engine

    from cqfriends.settings import Settings

log = logging.getLogger(__name__)
JOB_DEFAULTS = {"max_instances": 1, "coalesce": True, "misfire_grace_time": 300}
LIVE_SOURCES = ("twitter", "facebook")
FIRST_RUN_DELAY = timedelta(seconds=3)
LEFTOVER_CHECK_MINUTES = 5  # posts an interrupted check left unchecked wait at most this
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
    from cqfriends.jobs.ingest import run_checks_safely
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
    if settings.scheduler.checks_after_collect:  # at start-up, then now and then
        jobs.append(JobSpec(
            "checks", "check posts an interrupted run left unchecked",
            IntervalTrigger(minutes=LEFTOVER_CHECK_MINUTES, timezone=tz),
            lambda: run_checks_safely(engine=engine, settings=settings, stop=stop), soon))
    exporter = Exporter(settings, engine, EXPORTS)
    if exporter.targets:
        jobs.append(JobSpec("export", "regenerate " + ", ".join(exporter.names) + " if changed",
                            IntervalTrigger(minutes=5, timezone=tz), exporter.run_if_changed,
                            soon + FIRST_RUN_DELAY))
    if settings.media.fetch != "off":
        from cqfriends.jobs.media import INTERVAL_SECONDS, MediaJob

        media = MediaJob(settings, engine, stop)
        jobs.append(JobSpec("media", "archive photos and videos of new and approved posts "
                            f"(media.fetch: {settings.media.fetch})",
                            IntervalTrigger(seconds=INTERVAL_SECONDS, timezone=tz),
                            media.run_if_due, soon + FIRST_RUN_DELAY))
    if settings.uploads.enabled or settings.campaign.ends:
        from cqfriends.jobs.uploads import tidy_uploads

        jobs.append(JobSpec("uploads", "delete uploads' contact data past uploads.retention_days "
                            "after campaign.ends; expire unfinished transfers (daily)",
                            CronTrigger(hour=4, minute=40, timezone=tz),
                            lambda: tidy_uploads(engine=engine, settings=settings)))
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
                    running: set[str] | None = None,
                    may_start: Callable[[], bool] | None = None) -> BackgroundScheduler:
    from apscheduler.schedulers.background import BackgroundScheduler  # type: ignore[import-untyped]

    scheduler = BackgroundScheduler(timezone=settings.campaign.tz, job_defaults=JOB_DEFAULTS)
    for spec in build_jobs(settings, engine, stop):
        extra = {"next_run_time": spec.first_run} if spec.first_run else {}
        scheduler.add_job(logged(spec, running, may_start, settings.database.url),
                          spec.trigger, id=spec.id, name=spec.name, **extra)
    return scheduler


def logged(spec: JobSpec, running: set[str] | None = None,
           may_start: Callable[[], bool] | None = None, database_url: str = ""
           ) -> Callable[[], None]:
    """One log line per job run, and no exception escapes into APScheduler.

    ``running`` holds the ids of the jobs in progress (for a bounded shutdown);
    ``may_start()`` is asked first (False: this process no longer leads, skip it).
    """
    running = set() if running is None else running

    def run() -> None:
        started = time.monotonic()
        running.add(spec.id)
        try:
            if may_start is not None and not may_start():
                log.warning("job %s not started: this process does not lead the scheduler",
                            spec.id)
                return
            result = spec.func()
        except Exception as e:
            took = time.monotonic() - started
            if is_database_error(e):  # one line that says what to do, not a traceback
                log.error("job %s failed after %.1fs: %s", spec.id, took,
                          describe_database_error(e, database_url))
            else:
                log.exception("job %s failed after %.1fs", spec.id, took)
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
