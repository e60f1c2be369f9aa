"""What the scheduler keeps fresh: engagement metrics of recent posts, and the exports.

Twitter: ``GET /2/tweets?ids=`` in batches of 100 (``collectors.twitter.fetch_tweets``).
Facebook/Instagram: ``collectors.facebook.fetch_posts(cfg, ids, graph)`` (Graph
fields by id) when the collector provides it.  The pages go through the normal
ingest upsert, which stores a ``MetricSnapshot`` whenever a count moved.  Runs are
recorded as ``<source>:metrics``.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine

from moderation.pipeline import RunSummary, run_guarded, token_fingerprint
from normalize.post import RawRecord
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
        from collectors.twitter import fetch_tweets
        return fetch_tweets
    from collectors import facebook

    fetch = getattr(facebook, "fetch_posts", None)
    if fetch is None:
        log.info("facebook: no metrics lookup in the collector yet; skipped")
    return fetch


class Exporter:
    """Regenerates the theme page and LED playlist when a post changed since the last export."""

    def __init__(self, settings: Settings, engine: Engine,
                 exports: Iterable[tuple[str, str, str]]):
        """``exports``: (module, function, export-settings dir field) of each target."""
        self.settings, self.engine = settings, engine
        self.targets: list[tuple[str, Callable[..., Any], str]] = []
        for module_name, func_name, dir_field in exports:
            try:
                func = getattr(importlib.import_module(module_name), func_name)
            except (ImportError, AttributeError):
                continue
            self.targets.append((module_name.rsplit(".", 1)[1], func, dir_field))
        self.names = [name for name, _, _ in self.targets]
        self.exported: tuple[Any, ...] | None = None  # the change marker last exported

    def run_if_changed(self) -> str:
        marker = self.change_marker()
        if marker == self.exported:
            return "unchanged"
        for name, func, dir_field in self.targets:
            func(engine=self.engine, settings=self.settings,
                 out_dir=getattr(self.settings.export, dir_field))
            log.info("exported %s", name)
        self.exported = marker
        return "exported " + ", ".join(self.names)

    def change_marker(self) -> tuple[Any, ...]:
        """Moves whenever a post changes in a way exports mirror (read before exporting)."""
        from store.maintenance import last_change_at

        with session_scope(self.engine) as session:
            try:
                from store.exports import current_change_seq
                seq: Any = current_change_seq(session=session)
            except ImportError:
                seq = None
            return (last_change_at(session=session), seq)
