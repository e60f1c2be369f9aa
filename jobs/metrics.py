"""The metrics refresh: engagement of recent posts, looked up again by id.

Twitter: ``GET /2/tweets?ids=`` in batches of 100 (``collectors.twitter.fetch_tweets``).
Facebook/Instagram: ``collectors.facebook.fetch_posts(cfg, ids, graph)`` (Graph
fields by id) when the collector provides it.  The pages go through the normal
ingest upsert, which stores a ``MetricSnapshot`` whenever a count moved.  Runs are
recorded as ``<source>:metrics``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine

from cqfriends.jobs.collect import RunSummary, run_guarded, token_fingerprint
from cqfriends.normalize.post import RawRecord
from cqfriends.settings import Settings
from cqfriends.store.db import session_scope
from cqfriends.store.maintenance import recent_source_ids
from cqfriends.store.models import utcnow

log = logging.getLogger(__name__)


def refresh_metrics(*, engine: Engine, settings: Settings, client: Any = None,
                    stop: threading.Event | None = None) -> list[RunSummary]:
    """Refresh the metrics of posts younger than ``scheduler.metrics_max_age_days``."""
    since = utcnow() - timedelta(days=settings.scheduler.metrics_max_age_days)
    done: list[RunSummary] = []
    for name, sources in (("twitter", ("twitter",)), ("facebook", ("facebook", "instagram"))):
        cfg = getattr(settings.sources, name)
        fetch = _fetcher(name)
        if not cfg.enabled or fetch is None:
            continue
        with session_scope(engine) as session:
            ids = [i for _, i in recent_source_ids(session=session, sources=sources,
                                                   since=since)]
        if not ids:
            continue
        token = getattr(cfg, "bearer_token" if name == "twitter" else "access_token")
        done.append(run_guarded(
            name, _lookup(fetch, cfg, ids, client), engine=engine, settings=settings,
            fingerprint=token_fingerprint(token), stop=stop, run_name=f"{name}:metrics"))
    return done


def _lookup(fetch: Callable[..., Iterable[RawRecord]], cfg: Any, ids: list[str], client: Any
            ) -> Callable[[dict[str, Any]], Iterable[RawRecord]]:
    return lambda _cursor: fetch(cfg, ids, client)  # a lookup has no cursor


def _fetcher(name: str) -> Callable[..., Iterable[RawRecord]] | None:
    if name == "twitter":
        from cqfriends.collectors.twitter import fetch_tweets
        return fetch_tweets
    from cqfriends.collectors import facebook

    fetch = getattr(facebook, "fetch_posts", None)
    if fetch is None:
        log.info("facebook: no metrics lookup in the collector yet; skipped")
    return fetch
