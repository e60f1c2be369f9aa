"""X API v2 collector: recent search pages and tweet lookups, through tweepy.

``collect(cfg, cursor)`` yields one ``RawRecord(kind="search_page")`` per API page,
newest first, following ``meta.next_token`` up to ``cfg.max_pages``. Only the last
record carries ``cursor_after={"since_id": ...}`` (the newest id of the first page),
so the caller saves it after everything of the run is committed. If a later page
fails, the pages already fetched are still yielded (without a cursor) and the error
is raised: the next run starts again from the old ``since_id``.

Errors are mapped here, at the boundary: 429 -> ``RateLimited(reset_at)`` (no
sleeping), 401/403 -> ``AuthError``, other 4xx -> ``CollectorError``; 5xx and
connection errors are retried ``TRIES`` times with exponential backoff, then
``CollectorError``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import requests
import tweepy

from cqfriends.errors import AuthError, CollectorError, ConfigError, RateLimited
from cqfriends.normalize.post import RawRecord
from cqfriends.settings import TwitterSource

log = logging.getLogger(__name__)

TRIES = 3
BACKOFF_SECONDS = 2.0
TIMEOUT_SECONDS = 30
LOOKUP_BATCH = 100
RATE_WINDOW = timedelta(minutes=15)  # X's window, used when a 429 has no reset header

FIELDS: dict[str, list[str]] = {
    "expansions": [
        "author_id",
        "attachments.media_keys",
        "referenced_tweets.id",
        "referenced_tweets.id.author_id",
        "entities.mentions.username",
    ],
    "tweet_fields": [
        "created_at",
        "lang",
        "public_metrics",
        "entities",
        "attachments",
        "referenced_tweets",
        "author_id",
        "conversation_id",
        "in_reply_to_user_id",
        "possibly_sensitive",
        "edit_history_tweet_ids",
    ],
    "user_fields": ["name", "username", "profile_image_url", "url", "verified"],
    "media_fields": [
        "url",
        "preview_image_url",
        "type",
        "duration_ms",
        "variants",
        "public_metrics",
        "width",
        "height",
        "alt_text",
    ],
}

Sleep = Callable[[float], None]


class _TimeoutSession(requests.Session):
    """tweepy sets no timeout; a hung connection must not hang the scheduler."""

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT_SECONDS)
        return super().request(*args, **kwargs)


def make_client(cfg: TwitterSource) -> tweepy.Client:
    """A tweepy Client that returns the raw ``requests.Response`` (JSON, ids as strings)."""
    if cfg.bearer_token is None or not cfg.bearer_token.get_secret_value():
        raise ConfigError(["sources.twitter.bearer_token: not set (CQF_TWITTER_BEARER_TOKEN)"])
    # tweepy logs request headers, bearer token included, at DEBUG: keep that out of logs.
    logging.getLogger("tweepy.client").setLevel(logging.INFO)
    client = tweepy.Client(
        bearer_token=cfg.bearer_token.get_secret_value(),
        return_type=requests.Response,
        wait_on_rate_limit=False,
    )
    client.session = _TimeoutSession()
    return client


def collect(
    cfg: TwitterSource,
    cursor: dict[str, Any],
    client: tweepy.Client | None = None,
    *,
    sleep: Sleep = time.sleep,
) -> Iterator[RawRecord]:
    """Yield the search pages newer than ``cursor["since_id"]``; the last one moves the cursor."""
    client = client or make_client(cfg)
    since_id = cursor.get("since_id")
    params: dict[str, Any] = {"max_results": cfg.max_results, **FIELDS}
    if since_id:
        params["since_id"] = str(since_id)
    newest: str | None = None
    pending: RawRecord | None = None
    for page_number in range(1, cfg.max_pages + 1):
        try:
            response = call_api(
                lambda: client.search_recent_tweets(cfg.query, **params), sleep=sleep
            )
        except Exception:
            if pending is not None:  # keep what was fetched; the cursor stays put
                yield pending
            raise
        record = make_record(response, "search_page")
        meta = record.data.get("meta") or {}
        if page_number == 1:
            newest = meta.get("newest_id")
        if pending is not None:
            yield pending
        pending = record
        next_token = meta.get("next_token")
        if not next_token:
            break
        params["next_token"] = next_token
    else:
        log.warning("twitter: stopped after max_pages=%d with more results left", cfg.max_pages)
    if pending is not None:
        yield replace(pending, cursor_after={"since_id": newest or since_id})


def fetch_tweets(
    cfg: TwitterSource,
    ids: list[str],
    client: tweepy.Client | None = None,
    *,
    sleep: Sleep = time.sleep,
) -> Iterator[RawRecord]:
    """Look tweets up by id (``GET /2/tweets``), 100 per request, for a metrics refresh."""
    client = client or make_client(cfg)
    ids = [str(i) for i in ids]
    for start in range(0, len(ids), LOOKUP_BATCH):
        batch = ids[start : start + LOOKUP_BATCH]
        response = call_api(partial(client.get_tweets, batch, **FIELDS), sleep=sleep)
        yield make_record(response, "tweets_page")


def make_record(response: requests.Response, kind: str) -> RawRecord:
    try:
        page = response.json()
    except ValueError as e:
        raise CollectorError(f"twitter: response is not JSON ({response.url})") from e
    if not isinstance(page, dict):
        raise CollectorError(f"twitter: response is not a JSON object ({response.url})")
    return RawRecord(
        source="twitter", kind=kind, data=page, origin=response.url, fetched_at=datetime.now(UTC)
    )


def call_api(request: Callable[[], requests.Response], *, sleep: Sleep) -> requests.Response:
    """Run one API request, retrying 5xx/connection errors; map tweepy errors to ours."""
    for attempt in range(1, TRIES + 1):
        try:
            return request()
        except tweepy.TooManyRequests as e:
            raise RateLimited(
                "twitter: rate limit reached (429)", reset_at=reset_time(e.response)
            ) from e
        except tweepy.Unauthorized as e:
            raise AuthError("twitter: bearer token rejected (401)") from e
        except tweepy.Forbidden as e:
            raise AuthError(
                "twitter: forbidden (403): the API plan or app lacks access to "
                f"this endpoint: {api_detail(e)}"
            ) from e
        except (tweepy.TwitterServerError, requests.ConnectionError, requests.Timeout) as e:
            if attempt == TRIES:
                raise CollectorError(f"twitter: gave up after {TRIES} tries: {describe(e)}") from e
            delay = BACKOFF_SECONDS * 2 ** (attempt - 1)
            log.warning("twitter: %s; retry %d/%d in %.0fs", describe(e), attempt, TRIES - 1, delay)
            sleep(delay)
        except tweepy.HTTPException as e:
            raise CollectorError(
                f"twitter: request refused ({e.response.status_code}): {api_detail(e)}"
            ) from e
    raise AssertionError("unreachable")


def reset_time(response: requests.Response | None) -> datetime:
    """``x-rate-limit-reset`` (epoch seconds) as UTC; 15 minutes from now when absent."""
    header = response.headers.get("x-rate-limit-reset") if response is not None else None
    try:
        return datetime.fromtimestamp(int(header), UTC)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return datetime.now(UTC) + RATE_WINDOW


def api_detail(error: tweepy.HTTPException) -> str:
    """The API's own explanation (``detail``/``title``/errors), shortened."""
    try:
        body = error.response.json()
    except ValueError:
        body = {}
    if isinstance(body, dict):
        text = body.get("detail") or body.get("title") or body.get("reason") or ""
        if not text and body.get("errors"):
            text = "; ".join(
                str(x.get("message") or x.get("detail") or x)
                for x in body["errors"]
                if isinstance(x, dict)
            )
    else:
        text = ""
    return str(text or error.response.reason or "no detail")[:300]


def describe(error: Exception) -> str:
    if isinstance(error, tweepy.HTTPException):
        return f"server error {error.response.status_code}"
    return type(error).__name__
