"""The media job: archive what became due, soon after every collection and import.

The scheduler runs ``MediaJob.run_if_due`` every ``INTERVAL_SECONDS``; it works
only when posts arrived or changed state since its last run (the change
marker), when a retry's time has come, or when its last run stopped early, so
the archive follows each collection and import within seconds while an idle
minute costs one query.  Nothing else waits for it: imports, checks and the
console never touch the network for media.  ``platform_refresher`` gives the
archive its one fresh look-up per post whose stored link expired.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine

from cqfriends.media.archive import Archive, MediaSummary, Refresh
from cqfriends.normalize import normalize_record
from cqfriends.normalize.post import Media, NormalizeOptions, RawRecord
from cqfriends.settings import Settings
from cqfriends.store.db import session_scope
from cqfriends.store.media import next_retry_at, posts_changed_marker
from cqfriends.store.models import utcnow

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 60


def platform_refresher(settings: Settings, clients: dict[str, Any] | None = None) -> Refresh:
    """``refresh(key)`` -> the post's media freshly looked up (None: the platform has no API).

    ``clients`` may hold a ``twitter`` tweepy client or a ``facebook`` GraphAPI (tests).
    """
    clients = clients or {}

    def refresh(key: str) -> list[Media] | None:
        source, _, source_id = key.partition(":")
        record = _lookup(settings, source, source_id, clients)
        if record is None:
            return None
        batch = normalize_record(record, NormalizeOptions(tz=settings.campaign.tz))
        for post in batch.posts:
            if post.source_id == source_id:
                return list(post.media)
        return []

    return refresh


def _lookup(settings: Settings, source: str, source_id: str, clients: dict[str, Any]
            ) -> RawRecord | None:
    from cqfriends.collectors.media_lookup import lookup_graph_media, lookup_tweet_media

    twitter, facebook = settings.sources.twitter, settings.sources.facebook
    if source == "twitter" and (twitter.bearer_token or "twitter" in clients):
        return lookup_tweet_media(twitter, source_id, clients.get("twitter"))
    if source in ("facebook", "instagram") and (facebook.access_token or "facebook" in clients):
        return lookup_graph_media(facebook, source, source_id, clients.get("facebook"))
    return None  # Douyin and TikTok have no API; an unconfigured platform cannot be asked


def fetch_media(*, engine: Engine, settings: Settings, key: str | None = None,
                status: str | None = None, stop: threading.Event | None = None,
                on_start: Callable[[int], None] | None = None,
                on_progress: Callable[[str], None] | None = None) -> MediaSummary:
    """Archive what is due now (``cqf media fetch`` and the scheduler's media job)."""
    archive = Archive(settings, engine, refresh=platform_refresher(settings))
    return archive.run(key=key, status=status, stop=stop, on_start=on_start,
                       on_progress=on_progress)


class MediaJob:
    """Runs ``fetch_media`` when something may be due (see the module's docstring)."""

    def __init__(self, settings: Settings, engine: Engine, stop: threading.Event | None = None):
        self.settings, self.engine, self.stop = settings, engine, stop
        self.seen: tuple[Any, ...] | None = None  # the change marker of the last full run

    def run_if_due(self) -> MediaSummary | str:
        marker, retry_at = self._marker()
        retry_due = retry_at is not None and retry_at <= utcnow()
        if marker == self.seen and not retry_due:
            return "nothing new"
        summary = fetch_media(engine=self.engine, settings=self.settings, stop=self.stop)
        self.seen = None if summary.stopped else marker  # stopped early: go on next time
        return summary

    def _marker(self) -> tuple[tuple[Any, ...], Any]:
        with session_scope(self.engine) as session:
            return posts_changed_marker(session=session), next_retry_at(session=session)
