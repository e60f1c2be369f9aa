"""Graph API collector (facebook-sdk): Page feed and /tagged, Instagram hashtag media.

``collect(cfg, cursor)`` yields one ``RawRecord(kind="graph_page")`` per response page:
for each configured Page, ``/{page}/feed`` and (``cfg.tagged``) ``/{page}/tagged``;
for ``cfg.instagram_user_id``, each hashtag's ``/{hashtag-id}/recent_media`` (the id
comes from ``ig_hashtag_search`` once, then from the cursor: Meta allows 30 unique
hashtag searches a week). ``paging.next`` is followed as an opaque URL (``/posts``
pages by time, without cursors) up to ``cfg.max_pages`` per edge.
``fetch_posts(cfg, ids)`` looks stored posts up by id for the metrics refresh.

facebook-sdk 3.1.0 refuses Graph versions above 3.1 in its constructor, so the
version is never given to it: every path is prefixed with ``cfg.graph_version``.
``appsecret_proof`` is added to every request when an app secret is set.

Cursor: ``{"feed:<page>": {"since": <unix time of the newest post seen>},
"tagged:<page>": {...}, "ig_hashtag:<tag>": {"id": "<hashtag id>"}}``. Only the last
record of a run carries ``cursor_after`` (the whole new dict), so it is saved after
the posts are committed; on an error the pages already fetched are still yielded,
without a cursor, and the error is raised.

Errors are classified by Graph ``error.code`` (never by HTTP status): 4, 17, 32, 613,
80001-80014 -> ``RateLimited``; 190/102 -> ``AuthError`` (token); 10, 200-299 ->
``AuthError`` (permission); 1, 2, HTTP 5xx and connection errors are retried ``TRIES``
times with backoff, then ``CollectorError``. The token never reaches a log or message.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import facebook  # type: ignore[import-untyped]
import requests

from cqfriends.errors import AuthError, CollectorError, ConfigError, RateLimited
from cqfriends.normalize.facebook import parse_time
from cqfriends.normalize.post import RawRecord
from cqfriends.settings import FacebookSource

log = logging.getLogger(__name__)

GRAPH_URL = "https://graph.facebook.com/"
TRIES = 3
BACKOFF_SECONDS = 2.0
TIMEOUT_SECONDS = 30
IG_PAGE_LIMIT = 50  # recent_media pages hold at most 50 items
RATE_WINDOW = timedelta(minutes=15)  # when no usage header says how long
RATE_CODES = {4, 17, 32, 613}
TOKEN_CODES = {190, 102}
TOKEN_SUBCODES = {458, 459, 460, 463, 464, 467}
RETRY_CODES = {1, 2}
MISSING_CODES = {100, 803}  # 100/33: deleted or not visible to the token; 803: no such id
LOOKUP_BATCH = 50  # Graph takes at most 50 ids in one ``?ids=`` request
SECRET_ARGS = ("access_token", "appsecret_proof")

FEED_FIELDS = ",".join([
    "id", "created_time", "updated_time", "message", "message_tags", "permalink_url", "from",
    "full_picture", "attachments{media,media_type,type,url,subattachments}", "shares",
    "status_type", "comments.summary(true).limit(0)", "reactions.summary(true).limit(0)",
])
# recent_media documents these; `username` may not be requested on hashtag media.
IG_FIELDS = ",".join([
    "id", "caption", "media_type", "media_url", "permalink", "timestamp", "like_count",
    "comments_count", "children{media_type,media_url,permalink}",
])

Sleep = Callable[[float], None]


class WatchedGraph(facebook.GraphAPI):
    """A GraphAPI that remembers the last HTTP response (status, usage headers)."""

    last_response: requests.Response | None = None


def make_graph(cfg: FacebookSource, session: requests.Session | None = None) -> WatchedGraph:
    token = cfg.access_token.get_secret_value() if cfg.access_token else ""
    if not token:
        raise ConfigError(["sources.facebook.access_token: not set (CQF_FACEBOOK_ACCESS_TOKEN)"])
    session = session or requests.Session()
    graph = WatchedGraph(access_token=token, timeout=TIMEOUT_SECONDS, session=session)

    def remember(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        graph.last_response = response

    session.hooks["response"].append(remember)
    return graph


def collect(
    cfg: FacebookSource, cursor: dict[str, Any], graph: facebook.GraphAPI | None = None,
    *, sleep: Sleep = time.sleep,
) -> Iterator[RawRecord]:
    """Yield every new Graph page; the last record carries the new cursor."""
    graph = graph or make_graph(cfg)
    new_cursor = {key: dict(value) for key, value in cursor.items() if isinstance(value, dict)}
    pending: RawRecord | None = None
    try:
        for record in _records(graph, cfg, cursor, new_cursor, sleep):
            if pending is not None:
                yield pending
            pending = record
    except Exception:
        if pending is not None:  # keep what was fetched; the cursor stays put
            yield pending
        raise
    if pending is not None:
        yield replace(pending, cursor_after=new_cursor)


def _records(
    graph: facebook.GraphAPI, cfg: FacebookSource, cursor: dict[str, Any],
    new_cursor: dict[str, Any], sleep: Sleep,
) -> Iterator[RawRecord]:
    version = cfg.graph_version
    for page_id in cfg.pages:
        for edge in ("feed", "tagged") if cfg.tagged else ("feed",):
            key = f"{edge}:{page_id}"
            since = (cursor.get(key) or {}).get("since")
            args: dict[str, Any] = {"fields": FEED_FIELDS, "limit": cfg.page_limit}
            if since:
                args["since"] = since
            newest = since or 0
            for record in _edge_pages(graph, cfg, f"{version}/{page_id}/{edge}", args, sleep):
                newest = max(newest, newest_time(record.data))
                yield record
            if newest:
                new_cursor[key] = {"since": newest}
    if not cfg.instagram_user_id:
        return
    for tag in cfg.instagram_hashtags:
        name = tag.lstrip("#＃").lower()
        key = f"ig_hashtag:{name}"
        hashtag_id = (cursor.get(key) or {}).get("id")
        if not hashtag_id:
            hashtag_id = find_hashtag(graph, cfg, name, sleep)
            if not hashtag_id:
                log.warning("facebook: Instagram knows no hashtag #%s", name)
                continue
        new_cursor[key] = {"id": hashtag_id}
        args = {"user_id": cfg.instagram_user_id, "fields": IG_FIELDS,
                "limit": min(cfg.page_limit, IG_PAGE_LIMIT)}
        yield from _edge_pages(graph, cfg, f"{version}/{hashtag_id}/recent_media", args, sleep)


def find_hashtag(graph: facebook.GraphAPI, cfg: FacebookSource, name: str, sleep: Sleep) -> str:
    args = {"user_id": cfg.instagram_user_id, "q": name}
    found = call_graph(graph, cfg, f"{cfg.graph_version}/ig_hashtag_search", args, sleep=sleep)
    items = found.get("data") if isinstance(found.get("data"), list) else []
    return str(items[0].get("id") or "") if items and isinstance(items[0], dict) else ""


def _edge_pages(
    graph: facebook.GraphAPI, cfg: FacebookSource, path: str, args: dict[str, Any], sleep: Sleep,
) -> Iterator[RawRecord]:
    for _ in range(cfg.max_pages):
        page = call_graph(graph, cfg, path, args, sleep=sleep)
        yield RawRecord(source="facebook", kind="graph_page", data=page,
                        origin=describe_request(path, args), fetched_at=datetime.now(UTC))
        paging = page.get("paging")
        next_url = paging.get("next") if isinstance(paging, dict) else None
        if not next_url or not page.get("data"):
            return
        path, args = split_next(next_url)
    log.info("facebook: stopped %s after max_pages=%d with more left", path, cfg.max_pages)


def fetch_posts(
    cfg: FacebookSource, ids: list[str], graph: facebook.GraphAPI | None = None,
    *, sleep: Sleep = time.sleep,
) -> Iterator[RawRecord]:
    """Look posts up by id for a metrics refresh: ``GET /{version}?ids=a,b&fields=``.

    Facebook post ids (``pageid_postid``) and Instagram media ids (no ``_``) are asked
    for apart, each with its own fields, 50 a request.  Graph answers a dict keyed by
    id; each becomes one ``{"data": [...]}`` page (ids in the order asked), so
    ``normalize_page`` maps it as it maps a feed page.  No cursor: a lookup has none.
    """
    graph = graph or make_graph(cfg)
    unique = list(dict.fromkeys(str(i) for i in ids))
    for fields, group in ((FEED_FIELDS, [i for i in unique if "_" in i]),
                          (IG_FIELDS, [i for i in unique if "_" not in i])):
        for start in range(0, len(group), LOOKUP_BATCH):
            yield _lookup_page(graph, cfg, group[start:start + LOOKUP_BATCH], fields, sleep)


def _lookup_page(
    graph: facebook.GraphAPI, cfg: FacebookSource, ids: list[str], fields: str, sleep: Sleep,
) -> RawRecord:
    """One batch; one deleted id fails the whole request, so then each id is asked alone."""
    path, args = cfg.graph_version, {"ids": ",".join(ids), "fields": fields}
    try:
        found = call_graph(graph, cfg, path, args, sleep=sleep)
    except CollectorError as e:
        if not _is_missing(e):
            raise
        found = {}
        for one in ids:
            try:
                found.update(call_graph(graph, cfg, path, {"ids": one, "fields": fields},
                                        sleep=sleep))
            except CollectorError as missing:
                if not _is_missing(missing):
                    raise
                log.warning("facebook: %s deleted or not visible; skipped in this refresh (%s)",
                            one, missing)
    items = [found[i] for i in ids if isinstance(found.get(i), dict)]
    return RawRecord(source="facebook", kind="graph_page", data={"data": items},
                     origin=describe_request(path, args), fetched_at=datetime.now(UTC))


def _is_missing(error: CollectorError) -> bool:
    """A Graph "no such object" error (not a rate limit, token or transient failure)."""
    cause = error.__cause__
    return (type(error) is CollectorError and isinstance(cause, facebook.GraphAPIError)
            and _int(cause.code) in MISSING_CODES)


def call_graph(
    graph: facebook.GraphAPI, cfg: FacebookSource, path: str, args: dict[str, Any],
    *, sleep: Sleep,
) -> dict[str, Any]:
    """One Graph GET with ``appsecret_proof``; retries transient failures, maps errors."""
    token = graph.access_token or ""
    params = {k: v for k, v in args.items() if k not in SECRET_ARGS}
    if cfg.app_secret and cfg.app_secret.get_secret_value():
        params["appsecret_proof"] = make_proof(cfg.app_secret.get_secret_value(), token)
    for attempt in range(1, TRIES + 1):
        graph.last_response = None
        try:
            result = graph.request(path, dict(params))
        except facebook.GraphAPIError as e:
            response = getattr(graph, "last_response", None)
            error = classify_error(e, response, token=token)
            if error is not None:
                raise error from e
            problem: BaseException = e
            reason = f"Graph error {e.code or _status(response)}"
        except (requests.ConnectionError, requests.Timeout) as e:
            problem, reason = e, type(e).__name__
        else:
            if not isinstance(result, dict):
                raise CollectorError(f"facebook: {path}: response is not a JSON object")
            return result
        if attempt == TRIES:
            raise CollectorError(f"facebook: {path}: gave up after {TRIES} tries: {reason}") \
                from problem
        delay = BACKOFF_SECONDS * 2 ** (attempt - 1)
        log.warning("facebook: %s: %s; retry %d/%d in %.0fs", path, reason, attempt, TRIES - 1,
                    delay)
        sleep(delay)
    raise AssertionError("unreachable")


def classify_error(
    error: facebook.GraphAPIError, response: requests.Response | None, *, token: str,
) -> CollectorError | None:
    """Our error for a Graph error, by ``error.code``; None when a retry may help."""
    body = error.result.get("error") if isinstance(error.result, dict) else None
    body = body if isinstance(body, dict) else {}
    code, subcode = _int(error.code), _int(body.get("error_subcode"))
    message = str(error.message).replace(token, "***") if token else str(error.message)
    message = message[:300]
    if code in RATE_CODES or 80001 <= code <= 80014:
        return RateLimited(f"facebook: rate limited (Graph error {code}): {message}",
                           reset_at=reset_time(response))
    if code in TOKEN_CODES or subcode in TOKEN_SUBCODES:
        detail = f", subcode {subcode}" if subcode else ""
        return AuthError(f"facebook: access token expired or invalid (Graph error {code}{detail});"
                         " get a new Page token and set CQF_FACEBOOK_ACCESS_TOKEN")
    if code == 10 or 200 <= code <= 299:
        return AuthError(f"facebook: permission missing (Graph error {code}): {message}")
    if code in RETRY_CODES or _status(response) >= 500:
        return None
    return CollectorError(f"facebook: Graph error {code or 'without code'}: {message}")


def reset_time(response: requests.Response | None) -> datetime:
    """Now + ``estimated_time_to_regain_access`` (minutes) of x-business-use-case-usage."""
    minutes = 0
    header = response.headers.get("x-business-use-case-usage") if response is not None else None
    try:
        usage = json.loads(header) if header else {}
        for entries in usage.values():
            for entry in entries:
                minutes = max(minutes, int(entry.get("estimated_time_to_regain_access") or 0))
    except (ValueError, TypeError, AttributeError):
        minutes = 0
    return datetime.now(UTC) + (timedelta(minutes=minutes) if minutes > 0 else RATE_WINDOW)


def make_proof(app_secret: str, access_token: str) -> str:
    return hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()


def split_next(url: str) -> tuple[str, dict[str, Any]]:
    """A ``paging.next`` URL as (path, args) for ``GraphAPI.request``, minus the token."""
    parts = urlsplit(url)
    if parts.scheme != "https" or parts.hostname != "graph.facebook.com":
        raise CollectorError("facebook: paging.next leaves graph.facebook.com; not followed")
    args = {k: v for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if k not in SECRET_ARGS}
    return parts.path.lstrip("/"), args


def describe_request(path: str, args: dict[str, Any]) -> str:
    """Where a page came from, without the token or the long fields list."""
    shown = {k: v for k, v in args.items() if k not in (*SECRET_ARGS, "fields")}
    return GRAPH_URL + path + ("?" + urlencode(shown) if shown else "")


def newest_time(page: dict[str, Any]) -> int:
    """Unix time of the newest ``created_time`` on a page (0 if none)."""
    newest = 0
    for item in page.get("data") or []:
        try:
            newest = max(newest, int(parse_time(item.get("created_time"), "").timestamp()))
        except (ValueError, AttributeError):
            continue
    return newest


def _status(response: requests.Response | None) -> int:
    return response.status_code if response is not None else 0


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
