"""``Archive.run``: fetch, validate, derive and store every media item that is due.

One run plans the rows that became due (``store.media.plan_due``), then claims
them in batches and works on ``media.concurrency`` at once in threads (Pillow,
PyAV and hashlib let go of the GIL while they work).  For each item:

1. an archived row fetched from the very same link gives its files at once;
2. else the link is downloaded (``fetch``); a 403/404/410 asks the platform once
   for the post's fresh links (``refresh``) and tries the fresh one once;
3. the bytes are judged by content (``validate``), stored under their SHA-256
   (an identical file already archived is not stored or derived again), and the
   display/thumbnail/poster files and perceptual hash made (``derive``);
4. the post's ``media-missing`` flag is set or cleared from its rows.

Timeouts, connection errors and 5xx come back ``retry`` with a growing delay,
``MAX_ATTEMPTS`` times; every other failure is final and says why.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine

from cqfriends.media.derive import Derived, derive_photo, derive_video
from cqfriends.media.fetch import Download, Fetcher, FetchFailed
from cqfriends.media.guard import AddressPolicy
from cqfriends.media.storage import MediaStore, derived_key, open_store, original_key
from cqfriends.media.takedown import remove_post_media, sweep_takedowns
from cqfriends.media.validate import Probe, Refused, probe
from cqfriends.normalize.post import Media
from cqfriends.settings import Settings
from cqfriends.store.db import session_scope
from cqfriends.store.media import (
    DueItem,
    claim_due,
    count_due,
    find_by_sha,
    find_by_url,
    plan_due,
    role_url,
    save_item,
    update_missing_flag,
    url_hash,
)
from cqfriends.store.models import MediaItem, PostRow, utcnow

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 4
RETRY_BASE = timedelta(minutes=5)  # 5, 10, 20 minutes
LEASE = timedelta(minutes=15)
BATCH_PER_WORKER = 8
COPIED = ("sha256", "kind", "mime", "container", "codec", "size_bytes", "width", "height",
          "duration_ms", "derived", "phash")
# A post's fresh media, looked up at its platform; None when there is no way to ask.
Refresh = Callable[[str], list[Media] | None]


@dataclass
class MediaSummary:
    fetched: int = 0  # downloaded, validated and archived now
    failed: int = 0  # refused or failed (``retrying`` of them will be tried again)
    skipped: int = 0  # archived without a download (the same link was archived already)
    retrying: int = 0
    planned: int = 0
    stopped: bool = False

    def line(self) -> str:
        return f"fetched {self.fetched}, failed {self.failed}, skipped {self.skipped}"

    def add(self, outcome: str) -> None:
        if outcome == "stopped":
            return
        if outcome == "retry":
            self.retrying += 1
            outcome = "failed"
        setattr(self, outcome, getattr(self, outcome) + 1)


class Archive:
    """The archive of one configuration: its store, download policy and platform look-ups."""

    def __init__(self, settings: Settings, engine: Engine, *, store: MediaStore | None = None,
                 refresh: Refresh | None = None, policy: AddressPolicy | None = None):
        self.settings, self.engine = settings, engine
        media = settings.media
        self.store = store or open_store(settings)
        self.refresh = refresh
        self.policy = policy or AddressPolicy(allow_private=media.allow_private_hosts)
        self.limits = {"photo": int(media.max_photo_mb * 1e6),
                       "video": int(media.max_video_mb * 1e6)}
        self._fresh: dict[str, list[Media] | None] = {}
        self._fresh_lock = threading.Lock()
        self._local = threading.local()
        self._fetchers: list[Fetcher] = []
        self.stop: threading.Event | None = None
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()
        self._by_url: dict[str, dict[str, Any]] = {}  # this run's results, by link
        self._by_sha: dict[str, dict[str, Any]] = {}  # and by content

    # -- a run --------------------------------------------------------------------------
    def run(self, *, key: str | None = None, status: str | None = None,
            on_start: Callable[[int], None] | None = None,
            on_progress: Callable[[str], None] | None = None,
            stop: threading.Event | None = None) -> MediaSummary:
        """Archive everything due now (of post ``key`` / posts in ``status`` if given)."""
        summary = MediaSummary()
        sweep_takedowns(engine=self.engine, settings=self.settings, store=self.store)
        while True:  # every post that became due, a few thousand per transaction
            with session_scope(self.engine, write=True) as session:
                planned = plan_due(session=session, mode=self.settings.media.fetch)
            summary.planned += planned
            if not planned:
                break
        if on_start:
            with session_scope(self.engine) as session:
                on_start(count_due(session=session, now=utcnow(), key=key, status=status))
        self.stop = stop
        workers = self.settings.media.concurrency
        with ThreadPoolExecutor(workers, thread_name_prefix="media") as pool:
            while not (stop is not None and stop.is_set()):
                with session_scope(self.engine, write=True) as session:
                    batch = claim_due(session=session, now=utcnow(), key=key, status=status,
                                      limit=workers * BATCH_PER_WORKER, lease=LEASE)
                if not batch:
                    break
                for outcome in pool.map(self.archive_one, batch):
                    summary.add(outcome)
                    if on_progress:
                        on_progress(outcome)
                self._forget()  # a later batch finds this one's results in the database
            summary.stopped = stop is not None and stop.is_set()
        self.close()
        return summary

    def _forget(self) -> None:
        with self._locks_lock:
            self._locks.clear()
        self._by_url.clear()
        self._by_sha.clear()

    def close(self) -> None:
        for fetcher in self._fetchers:
            fetcher.close()
        self._fetchers.clear()

    # -- one item -----------------------------------------------------------------------
    def archive_one(self, item: DueItem) -> str:
        """'fetched', 'skipped', 'failed', 'retry' or 'stopped' for a claimed row (never raises)."""
        if self.stop is not None and self.stop.is_set():  # shutting down: give it back
            with session_scope(self.engine, write=True) as session:
                save_item(session=session, item_id=item.id, values={"state": "due"})
            return "stopped"
        try:
            outcome, values = self._archive(item)
        except FetchFailed as e:
            outcome, values = self._failure(item, e.reason, transient=e.transient)
        except Refused as e:
            outcome, values = self._failure(item, str(e), transient=False)
        except Exception as e:  # noqa: BLE001 - a store or database hiccup: try again later
            log.exception("media %s #%d %s: unexpected error", item.key, item.position + 1,
                          item.role)
            outcome, values = self._failure(item, f"internal error: {type(e).__name__}",
                                            transient=True)
        try:
            self._save(item, values)
        except Exception:  # noqa: BLE001 - the lease runs out and the row is due again
            log.exception("media %s: could not save the result", item.key)
            return "failed"
        return outcome

    def _archive(self, item: DueItem) -> tuple[str, dict[str, Any]]:
        if not item.url:
            raise FetchFailed("the platform gave no link to this file")
        with self._once("url:" + item.url):  # the same link twice in a run: fetched once
            if item.url in self._by_url:
                return "skipped", dict(self._by_url[item.url])
            with session_scope(self.engine) as session:
                known = find_by_url(session=session, url=item.url)
            if known is not None and known.sha256 and \
                    self.store.exists(original_key(known.sha256)):
                return "skipped", _copied(known)
            url, download = self._download(item)
            with download.body:
                values = self._keep(download)
            values.update(url=url, url_hash=url_hash(url), refreshed=url != item.url or
                          item.refreshed)
            self._by_url[item.url] = values
            return "fetched", dict(values)

    def _once(self, name: str) -> threading.Lock:
        """A lock per link or content hash: two workers never do the same work at once."""
        with self._locks_lock:
            return self._locks.setdefault(name, threading.Lock())

    def _limit(self, item: DueItem) -> int:
        wants_video = item.role == "full" and item.media_type in ("video", "gif")
        return self.limits["video" if wants_video else "photo"]

    def _download(self, item: DueItem) -> tuple[str, Download]:
        """(the URL that worked, its download): on an expired link, one fresh look-up."""
        fetcher = self._fetcher()
        try:
            return item.url, fetcher.download(item.url, max_bytes=self._limit(item))
        except FetchFailed as e:
            if not e.expired:
                raise
            fresh = self._fresh_url(item)
            if not fresh or fresh == item.url:
                why = ("the platform cannot be asked for a fresh link" if fresh is None
                       else "the platform gave no fresh link")
                raise FetchFailed(f"{e.reason}; {why}") from e
            try:
                return fresh, fetcher.download(fresh, max_bytes=self._limit(item))
            except FetchFailed as again:
                raise FetchFailed(f"{e.reason}; the fresh link failed too: {again.reason}",
                                  transient=again.transient) from again

    def _fresh_url(self, item: DueItem) -> str | None:
        """The item's link from a fresh look-up; '' none given, None: no way to ask."""
        if self.refresh is None:
            return None
        with self._fresh_lock:  # one look-up per post and run, however many items it has
            if item.key not in self._fresh:
                try:
                    self._fresh[item.key] = self.refresh(item.key)
                except Exception as e:  # noqa: BLE001 - a platform error: the item fails
                    log.warning("media %s: fresh look-up failed: %s", item.key, e)
                    self._fresh[item.key] = []
            fresh = self._fresh[item.key]
        if fresh is None:
            return None
        if item.position >= len(fresh):
            return ""
        return role_url(fresh[item.position].to_dict(), item.role)

    def _fetcher(self) -> Fetcher:
        fetcher = getattr(self._local, "fetcher", None)
        if fetcher is None:
            fetcher = Fetcher(self.policy, timeout=self.settings.media.timeout_seconds,
                              pool_size=4)
            self._local.fetcher = fetcher
            with self._fresh_lock:
                self._fetchers.append(fetcher)
        return fetcher

    def _keep(self, download: Download) -> dict[str, Any]:
        """Validate, store and derive one downloaded file; the row's new values."""
        found = probe(download.body)
        if found.kind != "video" and download.size > self.limits["photo"]:
            raise Refused(f"a photo of {download.size / 1e6:.1f} MB; the limit is "
                          f"{self.limits['photo'] / 1e6:.0f} MB")
        sha = download.sha256
        with self._once("sha:" + sha):  # identical bytes: stored and derived once
            if sha in self._by_sha:
                values = dict(self._by_sha[sha])
            else:
                with session_scope(self.engine) as session:
                    twin = find_by_sha(session=session, sha256=sha)
                if twin is not None and twin.derived and self.store.exists(original_key(sha)):
                    values = _copied(twin)
                else:
                    values = self._store_new(download, found)
                self._by_sha[sha] = values
        values.update(state="archived", fetched_at=utcnow(), reason=None, retry_at=None)
        return values

    def _store_new(self, download: Download, found: Probe) -> dict[str, Any]:
        sha = download.sha256
        derived: Derived = (derive_video if found.kind == "video" else derive_photo)(
            download.body, found)
        download.body.seek(0)
        self.store.put(original_key(sha), download.body, found.mime)
        files = {}
        for made in derived.files:
            key = derived_key(sha, made.name, made.extension)
            self.store.put(key, made.data, made.mime)
            files[made.name] = {"key": key, "type": made.mime, "width": made.width,
                                "height": made.height, "bytes": len(made.data)}
        return {"sha256": sha, "kind": found.kind, "mime": found.mime,
                "container": found.container, "codec": found.codec,
                "size_bytes": download.size, "width": found.width, "height": found.height,
                "duration_ms": found.duration_ms, "derived": files, "phash": derived.phash}

    def _failure(self, item: DueItem, reason: str, *, transient: bool
                 ) -> tuple[str, dict[str, Any]]:
        attempts = item.attempts + 1
        values: dict[str, Any] = {"attempts": attempts, "fetched_at": utcnow(),
                                  "reason": reason[:500]}
        if transient and attempts < MAX_ATTEMPTS:
            values.update(state="retry", retry_at=utcnow() + RETRY_BASE * 2 ** (attempts - 1))
            return "retry", values
        values.update(state="failed", retry_at=None)
        return "failed", values

    def _save(self, item: DueItem, values: dict[str, Any]) -> None:
        with session_scope(self.engine, write=True) as session:
            values.setdefault("attempts", item.attempts + 1)
            save_item(session=session, item_id=item.id, values=values)
            update_missing_flag(session=session, post_id=item.post_id)
            post = session.get(PostRow, item.post_id)
            removed = post is not None and post.status == "removed"
        if removed and values.get("state") == "archived":  # taken down while we fetched it
            remove_post_media(engine=self.engine, settings=self.settings,
                              post_id=item.post_id, store=self.store)


def _copied(row: MediaItem) -> dict[str, Any]:
    values = {name: getattr(row, name) for name in COPIED}
    values.update(state="archived", fetched_at=utcnow(), reason=None, retry_at=None)
    return values
