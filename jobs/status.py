"""What an operator needs to know: the status of each source, the scheduler and the queue.

``status_report`` is what ``cqf status`` prints and ``/healthz`` returns; it is
also where ``cqf jobs`` (``scheduler.list_jobs``) takes its next-run estimates from.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from cqfriends.settings import Settings
from cqfriends.store.db import session_scope
from cqfriends.store.leader import is_fresh, read_beat
from cqfriends.store.maintenance import count_by_status, count_unchecked_since
from cqfriends.store.models import SourceState, utcnow
from cqfriends.store.sources import last_run_starts, list_runs, list_source_states

SOURCES = ("twitter", "facebook", "douyin")
TOKEN_FIELDS = {"twitter": "bearer_token", "facebook": "access_token"}
# Checks follow every collection and the scheduler checks leftovers every few minutes:
# posts unchecked for longer were stranded (an interrupted check, a stopped scheduler).
UNCHECKED_PROBLEM_AFTER = timedelta(minutes=10)


def status_report(*, engine: Engine, settings: Settings) -> dict[str, Any]:
    """Facts per source, the scheduler heartbeat, the queue backlog and what is wrong."""
    with session_scope(engine) as session:
        return read_status(session=session, settings=settings)


def read_status(*, session: Session, settings: Settings) -> dict[str, Any]:
    """``status_report`` within a session the caller already holds."""
    now = utcnow()
    states = list_source_states(session=session)
    starts = last_run_starts(session=session)
    last_runs = {s: next(iter(list_runs(session=session, source=s, limit=1)), None)
                 for s in SOURCES}
    heartbeat = read_beat(session=session)
    counts = count_by_status(session=session)
    stranded = count_unchecked_since(session=session, before=now - UNCHECKED_PROBLEM_AFTER)
    sources = [_source_facts(name, settings, states.get(name), starts.get(name),
                             last_runs[name], now) for name in SOURCES]
    stale_after = timedelta(seconds=3 * settings.scheduler.heartbeat_seconds)
    running = is_fresh(heartbeat, now, stale_after)
    problems = [] if running else ["scheduler is not running (no fresh heartbeat)"]
    problems += [f"{s['source']}: token refused; set a new one ({s['last_error']})"
                 for s in sources if s["enabled"] and s["token"] == "refused"]
    problems += [f"{s['source']}: the last run had errors: {s['last_run']['error']}"
                 for s in sources if _last_run_failed(s)]
    if stranded and settings.scheduler.checks_after_collect:
        problems.append(f"{stranded} posts collected more than "
                        f"{UNCHECKED_PROBLEM_AFTER.seconds // 60} minutes ago are still "
                        "unchecked (the scheduler checks them; or run cqf check)")
    return {
        "ok": not problems,
        "problems": problems,
        "checked_at": _iso(now),
        "scheduler": {"running": running,
                      "holder": heartbeat.holder if heartbeat else None,
                      "started_at": _iso(heartbeat.started_at) if heartbeat else None,
                      "last_beat_at": _iso(heartbeat.beat_at) if heartbeat else None},
        "sources": sources,
        "queue": {"backlog": counts.get("pending", 0) + counts.get("collected", 0),
                  "pending": counts.get("pending", 0),
                  "unchecked": counts.get("collected", 0),
                  "unchecked_stale": stranded,
                  "by_status": counts},
    }


def _last_run_failed(source: dict[str, Any]) -> bool:
    """A run that ended with errors, unless the source is merely waiting out a rate limit."""
    run = source["last_run"]
    return bool(source["enabled"] and run and run["error"] and source["state"] == "ok")


def _source_facts(name: str, settings: Settings, state: SourceState | None,
                  last_start: datetime | None, last_run: Any, now: datetime) -> dict[str, Any]:
    cfg = getattr(settings.sources, name)
    state_name = state.state if state else "ok"
    token = _token_state(name, cfg, state)
    return {
        "source": name,
        "enabled": cfg.enabled,
        "state": state_name,
        "token": token,
        "every_minutes": cfg.schedule.minutes,
        "last_success_at": _iso(state.last_success_at) if state else None,
        "last_error": state.last_error if state else None,
        "last_error_at": _iso(state.last_error_at) if state else None,
        "reset_at": _iso(state.reset_at) if state else None,
        "next_run_at": _iso(next_run(cfg, state, last_start, now, token)),
        "cursor": dict(state.cursor or {}) if state else {},
        "last_run": _run_dict(last_run),
    }


def _token_state(name: str, cfg: Any, state: SourceState | None) -> str:
    """missing | refused | new (refused, but it changed since) | ok | n/a (no token)."""
    field = TOKEN_FIELDS.get(name)
    if field is None:
        return "n/a"
    from cqfriends.jobs.collect import token_fingerprint

    fingerprint = token_fingerprint(getattr(cfg, field))
    if fingerprint is None:
        return "missing"
    if state is not None and state.state == "broken":
        return "refused" if state.token_fingerprint == fingerprint else "new"
    return "ok"


def next_run(cfg: Any, state: SourceState | None, last_start: datetime | None, now: datetime,
             token: str = "ok") -> datetime | None:
    """When the scheduler will next really run the source (None: it won't)."""
    if not cfg.enabled or token in ("missing", "refused"):
        return None
    due = now if last_start is None else max(now, last_start + timedelta(
        minutes=cfg.schedule.minutes))
    if state is not None and state.state == "rate_limited" and state.reset_at:
        due = max(due, state.reset_at)
    return due


def _run_dict(run: Any) -> dict[str, Any] | None:
    if run is None:
        return None
    return {"started_at": _iso(run.started_at), "finished_at": _iso(run.finished_at),
            "fetched": run.fetched, "new": run.new, "updated": run.updated, "bad": run.bad,
            "error": run.error}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds").replace("+00:00", "Z") if value else None


def print_status(report: dict[str, Any], out: Any) -> None:
    """``cqf status`` as text on a rich console."""
    import json

    from rich.markup import escape
    from rich.table import Table

    sched = report["scheduler"]
    out.print(f"scheduler: {'running' if sched['running'] else '[red]not running[/]'}"
              + (f" ({escape(sched['holder'])}, last beat {sched['last_beat_at']})"
                 if sched["holder"] else ""))
    table = Table("source", "enabled", "state", "token", "last success", "last error",
                  "next run", "cursor")
    for s in report["sources"]:
        error = f"{s['last_error_at']} {s['last_error']}" if s["last_error"] else ""
        table.add_row(s["source"], "yes" if s["enabled"] else "no", s["state"], s["token"],
                      s["last_success_at"] or "-", escape(error[:80]), s["next_run_at"] or "-",
                      escape(json.dumps(s["cursor"])[:60]))
    out.print(table)
    queue = report["queue"]
    out.print(f"queue backlog: {queue['backlog']} ({queue['pending']} pending, "
              f"{queue['unchecked']} not yet checked)")
    for problem in report["problems"]:
        out.print(f"[red]problem:[/] {escape(problem)}")
