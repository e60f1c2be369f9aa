"""Metrics refresh: re-fetch engagement of recent posts; each change is kept as a snapshot.

Twitter: ``GET /2/tweets?ids=`` in batches of 100 (``collectors.twitter.fetch_tweets``);
the pages go through the normal ingest upsert, which stores a ``MetricSnapshot``
whenever a count moved.  Runs are recorded as ``<source>:metrics``.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine

from moderation.pipeline import RunSummary, run_guarded, token_fingerprint
from settings import Settings
from store.db import session_scope
from store.maintenance import recent_source_ids
from store.models import utcnow

log = logging.getLogger(__name__)


def refresh_metrics(*, engine: Engine, settings: Settings, client: Any = None,
                    stop: threading.Event | None = None) -> list[RunSummary]:
    """Refresh the metrics of posts younger than ``scheduler.metrics_max_age_days``."""
    since = utcnow() - timedelta(days=settings.scheduler.metrics_max_age_days)
    done: list[RunSummary] = []
    cfg = settings.sources.twitter
    if cfg.enabled:
        with session_scope(engine) as session:
            ids = [i for _, i in recent_source_ids(session=session, sources=("twitter",),
                                                   since=since)]
        if ids:
            from collectors.twitter import fetch_tweets

            done.append(run_guarded(
                "twitter", lambda _cursor: fetch_tweets(cfg, ids, client), engine=engine,
                settings=settings, fingerprint=token_fingerprint(cfg.bearer_token), stop=stop,
                run_name="twitter:metrics"))
    return done
