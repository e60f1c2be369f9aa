"""TikTok captures and exports -> ``Post`` (pure: no I/O, no clock).

TikTok is its own source (``tiktok:ID``): foreign participants outside China
post there.  Records come from ``collectors.douyin`` / ``collectors.tiktok``:

- ``item``: one TikTok web-API item as Zeeschuimer captures it (``itemList`` of
  /api/post/item_list/, search ``data[].item``): ``id``, ``desc``, ``createTime``,
  ``author`` (an object: ``uniqueId``, ``nickname``, ``secUid``; or, in items
  embedded in the page, the ``uniqueId`` itself beside ``nickname``), ``stats``
  and ``statsV2`` (the same counts as exact strings), ``video`` (``cover``,
  ``downloadAddr``, ``playAddr``, ``duration`` in seconds), ``imagePost`` for photo
  posts, ``textExtra``, ``challenges``, ``textLanguage``.  Field meanings follow
  4CAT's ``datasources/tiktok/search_tiktok.py::map_item``.
- ``row``: one row of 4CAT's or Zeeschuimer's TikTok CSV (their map_item columns:
  ``body``, ``author``, ``author_full``, ``unix_timestamp``, ``likes``, ``plays``,
  ``tiktok_url`` ...); their ``timestamp`` column is UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from cqfriends.errors import BadInput, NormalizeError
from cqfriends.normalize.post import (
    Author,
    Batch,
    Media,
    Metrics,
    NormalizeOptions,
    Post,
    RawRecord,
)
from cqfriends.normalize.row_post import RowSpec, post_from_row
from cqfriends.normalize.rows import HeaderTable, hashtags_of, parse_count, parse_id, safe_url

SOURCE = "tiktok"
NO_LANGUAGE = frozenset({"", "un", "und", "unknown"})
_HANDLE = re.compile(r"^[A-Za-z0-9_.]{1,64}$")

HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "video_id", "item_id"),
    "text": ("body", "desc", "description", "作品描述"),
    "created_epoch": ("unix_timestamp", "createTime"),
    "created_at": ("timestamp", "create_time", "发布时间"),
    "author_handle": ("author", "uniqueId", "unique_id", "username"),
    "author_name": ("author_full", "nickname", "账号昵称"),
    "author_id": ("author_id", "authorId", "uid"),
    "sec_uid": ("author_sec_uid", "secUid", "sec_uid"),
    "likes": ("likes", "diggCount", "digg_count"),
    "comments": ("comments", "commentCount", "comment_count"),
    "shares": ("shares", "shareCount", "share_count"),
    "views": ("plays", "playCount", "play_count"),
    "collects": ("collectCount", "collect_count"),
    "url": ("tiktok_url", "url", "share_url"),
    "hashtags": ("hashtags",),
    "topics": ("challenges",),
    "duration": ("duration", "video_duration"),
    "cover": ("thumbnail_url", "cover"),
    "video_url": ("video_url", "downloadAddr"),
}
TABLE = HeaderTable("tiktok", HEADER_ALIASES, {"desc": "text", "source_id": "id"})


def video_url(item_id: str, handle: str) -> str:
    """TikTok's permalink, as 4CAT builds it (``@`` + handle; TikTok resolves an empty one)."""
    return f"https://www.tiktok.com/@{handle if _HANDLE.match(handle) else ''}/video/{item_id}"


def user_url(_sec_uid: str, handle: str) -> str:
    return f"https://www.tiktok.com/@{handle}" if _HANDLE.match(handle) else ""


ROWS = RowSpec(SOURCE, TABLE, video_url=video_url, user_url=user_url,
               id_in_url=re.compile(r"tiktok\.com/(?:@[^/\s]*/)?(?:video|photo)/(\d{6,})"),
               sec_uid_in_url=re.compile(""), utc_times=True)  # TikTok links name handles


def is_tiktok_headers(headers: list[str]) -> bool:
    """A 4CAT/Zeeschuimer TikTok CSV (its own permalink column)."""
    return "tiktok_url" in {h.strip() for h in headers}


def is_tiktok_item(data: Any) -> bool:
    """A TikTok web item (``createTime`` + ``stats``/``author``, no Douyin ``aweme_id``)."""
    return isinstance(data, dict) and "createTime" in data and "id" in data and not any(
        k in data for k in ("aweme_id", "awemeId")) and ("stats" in data or "author" in data)


def normalize_item(record: RawRecord, options: NormalizeOptions) -> Batch:
    """One TikTok record (``item`` or ``row``) -> a Batch of at most one Post."""
    batch = Batch()
    try:
        if record.kind == "item":
            batch.posts.append(_post_from_item(record, batch.warnings))
        elif record.kind == "row":
            # sources.douyin.column_aliases name Douyin's columns, not these
            plain = NormalizeOptions(tz=options.tz)
            batch.posts.append(post_from_row(record, plain, ROWS, batch.warnings))
        elif record.kind == "bad":
            batch.errors.append(record.data)
        else:
            raise NormalizeError(f"unknown tiktok record kind {record.kind!r}")
    except BadInput as e:
        if e.file is None:
            e = type(e)(e.reason, file=record.origin, line=record.line, field=e.field)
        batch.errors.append(e)
    return batch


def renormalize(raw: Any, *, collected_at: datetime, options: NormalizeOptions) -> Post:
    if not isinstance(raw, dict):
        raise NormalizeError("stored raw payload is not an object")
    is_row = "__line" in raw
    data = {k: v for k, v in raw.items() if not k.startswith("__")} if is_row else raw
    record = RawRecord(SOURCE, "row" if is_row else "item", data, "stored", collected_at)
    batch = normalize_item(record, options)
    if batch.errors:
        raise NormalizeError(str(batch.errors[0]))
    return batch.posts[0]


def _post_from_item(record: RawRecord, warnings: list[str]) -> Post:
    item = record.data
    if not isinstance(item, dict):
        raise NormalizeError("item is not a JSON object")
    item_id = _id(item.get("id"))
    author = item.get("author")
    if isinstance(author, dict):  # an intercepted API answer
        handle, name = _text(author.get("uniqueId")), _text(author.get("nickname"))
        author_id, sec_uid = _text(author.get("id")), _text(author.get("secUid"))
    else:  # embedded in the page: the handle itself, the rest beside it
        handle, name = _text(author), _text(item.get("nickname"))
        author_id, sec_uid = _text(item.get("authorId")), _text(item.get("authorSecId"))
    desc = _text(item.get("desc"))
    extra = [e for e in _list(item.get("textExtra")) if isinstance(e, dict)]
    tags = [_text(e.get("hashtagName")) for e in extra]
    tags += [_text(c.get("title")) for c in _list(item.get("challenges")) if isinstance(c, dict)]
    lang = _text(item.get("textLanguage"))
    return Post(
        source=SOURCE, source_id=item_id, url=video_url(item_id, handle),
        author=Author(id=author_id or sec_uid or handle, name=name, handle=handle,
                      url=user_url(sec_uid, handle)),
        text=desc, created_at=_created_at(item, item_id, record, warnings),
        collected_at=record.fetched_at,
        lang=None if lang.lower() in NO_LANGUAGE else lang,
        hashtags=hashtags_of(desc, tags),
        mentions=list(dict.fromkeys(m for m in (_text(e.get("userUniqueId")) for e in extra)
                                    if m)),
        media=_media(item), metrics=_metrics(item), raw=item)


def _created_at(item: dict[str, Any], item_id: str, record: RawRecord,
                warnings: list[str]) -> datetime:
    value = item.get("createTime")
    if value in (None, "", 0, "0"):
        warnings.append(f"tiktok:{item_id}: no createTime; using the capture time")
        return record.fetched_at
    text = _text(value)
    if not text.isdigit() or len(text) > 12:
        raise NormalizeError(f"not a time: {str(value)[:40]!r}", field="createTime")
    try:
        return datetime.fromtimestamp(int(text), UTC)
    except (OverflowError, OSError, ValueError):
        raise NormalizeError(f"time out of range: {text!r}", field="createTime") from None


def _metrics(item: dict[str, Any]) -> Metrics:
    exact, rounded = _dict(item.get("statsV2")), _dict(item.get("stats"))

    def count(key: str) -> int:
        for source, where in ((exact, "statsV2"), (rounded, "stats")):
            value = source.get(key)
            if value is None or isinstance(value, dict | list | bool):
                continue
            try:
                return parse_count(_text(value) if isinstance(value, int) else value)
            except ValueError as e:
                raise NormalizeError(str(e), field=f"{where}.{key}") from None
        return 0

    return Metrics(likes=count("diggCount"), comments=count("commentCount"),
                   shares=count("shareCount"), views=count("playCount"))


def _media(item: dict[str, Any]) -> list[Media]:
    images = _dict(item.get("imagePost")).get("images")
    photos = [safe_url(next(iter(_list(_dict(_dict(i).get("imageURL")).get("urlList"))), ""))
              for i in _list(images)]
    if any(photos):
        return [Media("photo", u, u) for u in photos if u]
    video = _dict(item.get("video"))
    url = safe_url(video.get("downloadAddr")) or safe_url(video.get("playAddr"))
    cover = safe_url(video.get("cover")) or safe_url(video.get("originCover"))
    if not (url or cover):
        return []
    seconds = video.get("duration")
    ms = seconds * 1000 if isinstance(seconds, int) and not isinstance(seconds, bool) \
        and 0 <= seconds < 10**6 else None
    return [Media("video", url, cover, ms)]


def _id(value: Any) -> str:
    if isinstance(value, float):
        raise NormalizeError("item id is a float: precision lost", field="id")
    try:
        return parse_id(_text(value))
    except ValueError as e:
        raise NormalizeError(str(e) if value not in (None, "") else "item has no id",
                             field="id") from None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return ""
    if isinstance(value, int):
        return str(value) if value.bit_length() < 1000 else ""
    return value.strip() if isinstance(value, str) else ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
