"""Douyin export items and rows -> ``Post`` (pure: no I/O, no clock).

Two record kinds come from ``collectors.douyin``:

- ``item``: one aweme, either the snake_case web-API shape (``aweme_id``,
  ``statistics.digg_count`` ...; also the share API's ``item_list`` items) or the
  camelCase shape embedded in pages (``awemeId``, ``stats.diggCount`` ...), as
  Zeeschuimer captures them.  A flat record (MediaCrawler's JSONL: ``liked_count``,
  ``nickname``, ``aweme_url`` at the top) is mapped like a row.
- ``row``: one CSV/XLSX row ``{header: text}``; headers are mapped to fields by
  :func:`map_headers` (Chinese and English spellings of TikTokDownloader, the
  creator centre, 4CAT and Zeeschuimer, MediaCrawler; plus config aliases).

Decisions: ``shares`` is ``share_count`` only (what the app shows by the share
arrow; ``forward_count``, in-app reposts, stays in ``raw``). ``views`` is
``play_count`` although Douyin often reports 0 there. Image posts become photos
and their slideshow "video" (the music track) is dropped. An item without a
create time (the 2020 share-page API) gets ``created_at = fetched_at`` and a warning.
"""

from __future__ import annotations

import re
from datetime import datetime
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
from cqfriends.normalize.rows import (
    HeaderTable,
    hashtags_of,
    parse_count,
    parse_id,
    parse_time,
    safe_url,
)
from cqfriends.normalize.rows import (
    map_headers as map_table_headers,
)

__all__ = ["HEADER_ALIASES", "map_headers", "normalize_item", "parse_count", "parse_id",
           "parse_time", "renormalize"]

SOURCE = "douyin"
VIDEO_URL = "https://www.douyin.com/video/{}"
USER_URL = "https://www.douyin.com/user/{}"

# field -> header spellings, best first (exact, then case/space/underscore-insensitive).
# TikTokDownloader and the creator centre write Chinese headers; 4CAT and Zeeschuimer
# their map_item keys (body, timestamp, author_nickname, post_url ...); MediaCrawler
# its store keys (liked_count, aweme_url, cover_url ...).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("作品ID", "视频ID", "作品id", "视频id", "aweme_id", "awemeId", "id", "item_id"),
    "text": ("作品描述", "标题描述", "作品名称", "作品标题", "视频标题", "视频描述", "标题", "描述",
             "desc", "title", "body"),
    "created_epoch": ("unix_timestamp",),
    "created_at": ("发布时间", "创建时间", "create_time", "createTime", "publish_time",
                   "timestamp"),
    "author_name": ("账号昵称", "作者昵称", "作者名称", "昵称", "nickname", "author_nickname",
                    "author"),
    "author_handle": ("作者ID", "抖音号", "ID", "unique_id", "uniqueId", "user_unique_id",
                      "short_id", "short_user_id"),
    "author_id": ("UID", "uid", "作者UID", "author_user_id", "user_id", "creator_hash"),
    "sec_uid": ("SEC_UID", "sec_uid", "secUid"),
    "author_url": ("author_profile_url", "作者主页"),
    "likes": ("点赞数", "点赞数量", "点赞量", "获赞数", "digg_count", "diggCount", "liked_count",
              "likes"),
    "comments": ("评论数", "评论数量", "评论量", "comment_count", "commentCount", "comments"),
    "shares": ("分享数", "分享数量", "分享量", "share_count", "shareCount", "shares"),
    "views": ("播放量", "播放数量", "播放数", "play_count", "playCount", "views"),
    "collects": ("收藏数量", "收藏量", "收藏数", "collect_count", "collectCount",
                 "collected_count"),
    "url": ("作品链接", "视频链接", "链接", "share_url", "shareUrl", "post_url", "aweme_url",
            "url"),
    "hashtags": ("作品话题", "话题", "text_extra", "hashtags"),
    "mentions": ("mentions",),
    "duration": ("视频时长", "时长", "duration"),
    "duration_ms": ("video_duration",),
    "cover": ("静态封面", "封面", "封面链接", "cover", "static_cover", "video_thumbnail",
              "cover_url"),
    "video_url": ("下载地址", "视频地址", "video_url", "downloads", "play_url",
                  "video_download_url"),
    "images": ("image_urls", "note_download_url", "图集"),
}
# alias targets a config may also use (the export's own key names)
FIELD_SYNONYMS = {"aweme_id": "id", "desc": "text", "create_time": "created_at",
                  "nickname": "author_name", "unique_id": "author_handle", "uid": "author_id",
                  "digg_count": "likes", "comment_count": "comments", "share_count": "shares",
                  "play_count": "views", "collect_count": "collects", "share_url": "url",
                  "static_cover": "cover", "downloads": "video_url", "source_id": "id"}
FIELDS = tuple(HEADER_ALIASES)
TABLE = HeaderTable("douyin", HEADER_ALIASES, FIELD_SYNONYMS)
ROWS = RowSpec(
    SOURCE, TABLE, video_url=lambda i, _h: VIDEO_URL.format(i),
    user_url=lambda sec_uid, _h: USER_URL.format(sec_uid) if sec_uid else "",
    id_in_url=re.compile(r"(?:/video/|/note/|modal_id=)(\d{6,})"),
    sec_uid_in_url=re.compile(r"douyin\.com/user/([A-Za-z0-9_\-]{6,})"))
# A flat JSON record (MediaCrawler) rather than an API item: it has these at the top.
FLAT_KEYS = ("liked_count", "aweme_url", "creator_hash", "collected_count", "user_unique_id")


def map_headers(headers: list[str], aliases: dict[str, str]) -> dict[str, str]:
    """Header -> field for every recognised Douyin header (see ``rows.map_headers``)."""
    return map_table_headers(TABLE, headers, aliases)


def expected_columns() -> str:
    return TABLE.expected("id", "text", "url")


def normalize_item(record: RawRecord, options: NormalizeOptions) -> Batch:
    """One export record (``item`` or ``row``) -> a Batch of at most one Post."""
    batch = Batch()
    try:
        if record.kind == "item" and is_flat_record(record.data):
            batch.posts.append(post_from_row(record, options, ROWS, batch.warnings))
        elif record.kind == "item":
            batch.posts.append(_post_from_item(record, batch.warnings))
        elif record.kind == "row":
            batch.posts.append(post_from_row(record, options, ROWS, batch.warnings))
        elif record.kind == "bad":
            batch.errors.append(record.data)
        else:
            raise NormalizeError(f"unknown douyin record kind {record.kind!r}")
    except BadInput as e:
        if e.file is None:
            e = type(e)(e.reason, file=record.origin, line=record.line, field=e.field)
        batch.errors.append(e)
    return batch


def is_flat_record(data: Any) -> bool:
    return isinstance(data, dict) and any(k in data for k in FLAT_KEYS) and not any(
        isinstance(data.get(k), dict) for k in ("author", "authorInfo", "statistics", "stats"))


def renormalize(raw: Any, *, collected_at: datetime, options: NormalizeOptions) -> Post:
    """``cqf renormalize``: a stored item or row mapped again."""
    if not isinstance(raw, dict):
        raise NormalizeError("stored raw payload is not an object")
    is_row = "__line" in raw
    data = {k: v for k, v in raw.items() if not k.startswith("__")} if is_row else raw
    record = RawRecord(SOURCE, "row" if is_row else "item", data, "stored", collected_at,
                       raw.get("__line") if is_row else None)
    batch = normalize_item(record, options)
    if batch.errors:
        raise NormalizeError(str(batch.errors[0]))
    return batch.posts[0]


def first_url(obj: Any, *keys: str) -> str:
    """First http(s) URL of ``obj[key].url_list`` / ``urlList`` / a plain string."""
    for key in keys:
        value = obj.get(key) if isinstance(obj, dict) else None
        if isinstance(value, dict):
            value = value.get("url_list") or value.get("urlList") or []
        for u in value if isinstance(value, list) else [value]:
            if isinstance(u, dict):
                u = u.get("src") or u.get("url")
            if safe_url(u):
                return safe_url(u)
    return ""


def _rate(entry: dict[str, Any]) -> int:
    value = entry.get("bit_rate", entry.get("bitRate"))
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _video_media(video: dict[str, Any], duration: Any) -> Media | None:
    rates = video.get("bit_rate") or video.get("bitRateList") or []
    rates = sorted((r for r in _list(rates) if isinstance(r, dict)), key=_rate, reverse=True)
    url = ""
    for rate in rates:
        url = first_url(rate, "play_addr", "playAddr", "playApi")
        if url:
            break
    url = url or first_url(video, "play_addr", "playAddr", "playApi", "download_addr")
    cover = first_url(video, "cover", "origin_cover", "originCover", "dynamic_cover")
    if not (url or cover):
        return None
    ms = video.get("duration") or duration
    return Media("video", url, cover, ms if _whole(ms) else None)


def _item_id(item: dict[str, Any]) -> str:
    for key in ("aweme_id", "awemeId", "id"):
        value = item.get(key)
        if value not in (None, ""):
            if isinstance(value, float):
                raise NormalizeError("aweme id is a float: precision lost", field=key)
            if isinstance(value, bool) or not isinstance(value, str | int):
                raise NormalizeError(f"not an id: a {type(value).__name__}", field=key)
            try:
                return parse_id(value if isinstance(value, str) else _int_text(value))
            except ValueError as e:
                raise NormalizeError(str(e), field=key) from None
    raise NormalizeError("item has no aweme_id / awemeId", field="aweme_id")


def _post_from_item(record: RawRecord, warnings: list[str]) -> Post:
    item = record.data
    if not isinstance(item, dict):
        raise NormalizeError("item is not a JSON object")
    aweme_id = _item_id(item)
    author = _dict(item.get("author")) or _dict(item.get("authorInfo"))
    stats = _dict(item.get("statistics")) or _dict(item.get("stats"))
    extra = [e for e in _list(item.get("text_extra") or item.get("textExtra"))
             if isinstance(e, dict)]
    created_at = _created_at(item, record, aweme_id, warnings)
    sec_uid = _text(author.get("sec_uid")) or _text(author.get("secUid"))
    desc = _text(item.get("desc"))
    media: list[Media] = []
    for image in _list(item.get("images")):
        url = first_url({"i": image}, "i")
        if url:
            media.append(Media("photo", url, url))
    if not media and isinstance(item.get("video"), dict):
        video = _video_media(item["video"], item.get("duration"))
        media += [video] if video else []
    forwarded: dict[str, Any] = next(
        (item[k] for k in ("forward_item", "forwardItem", "origin_aweme")
         if isinstance(item.get(k), dict)), {})
    original = _text(forwarded.get("aweme_id")) or _text(forwarded.get("awemeId"))
    repost_of = f"{SOURCE}:{original}" if original else None

    def stat(snake: str, camel: str) -> int:
        try:
            return parse_count(_scalar(stats.get(snake, stats.get(camel))))
        except ValueError as e:
            raise NormalizeError(str(e), field=f"statistics.{snake}") from None

    return Post(
        source=SOURCE, source_id=aweme_id, url=VIDEO_URL.format(aweme_id),
        author=Author(
            id=_text(item.get("author_user_id")) or _text(item.get("authorUserId"))
            or _text(author.get("uid")) or sec_uid,
            name=_text(author.get("nickname")),
            handle=_text(author.get("unique_id")) or _text(author.get("uniqueId"))
            or _text(author.get("short_id")) or _text(author.get("shortId")),
            url=USER_URL.format(sec_uid) if sec_uid else ""),
        text=desc, created_at=created_at, collected_at=record.fetched_at,
        lang=_text(item.get("desc_language")) or None,
        hashtags=hashtags_of(desc, [_text(e.get("hashtag_name")) or _text(e.get("hashtagName"))
                                    for e in extra]),
        mentions=[m for m in (_text(e.get("sec_uid")) or _text(e.get("secUid")) for e in extra)
                  if m],
        media=media,
        metrics=Metrics(likes=stat("digg_count", "diggCount"),
                        comments=stat("comment_count", "commentCount"),
                        shares=stat("share_count", "shareCount"),
                        views=stat("play_count", "playCount")),
        is_repost=repost_of is not None, repost_of=repost_of, raw=item)


def _created_at(item: dict[str, Any], record: RawRecord, aweme_id: str,
                warnings: list[str]) -> datetime:
    created = item.get("create_time") or item.get("createTime")
    if not created:
        warnings.append(f"douyin:{aweme_id}: no create_time; using the capture time")
        return record.fetched_at
    try:
        return parse_time(_scalar(created))
    except ValueError as e:
        raise NormalizeError(str(e), field="create_time") from None


def _scalar(value: Any) -> Any:
    """A JSON value a count or time may be written as; anything else is refused."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | type(None)):
        raise ValueError(f"not a number: a {type(value).__name__}")
    return _int_text(value) if isinstance(value, int) else value


def _int_text(value: int) -> str:
    return str(value) if value.bit_length() < 1000 else "9" * 400


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**12


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return ""
    if isinstance(value, int):
        return _int_text(value)
    return value.strip() if isinstance(value, str) else ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
