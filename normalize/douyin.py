"""Douyin export items and rows -> ``Post`` (pure: no I/O, no clock).

Two record kinds come from ``collectors.douyin``:

- ``item``: one aweme, either the snake_case web-API shape (``aweme_id``,
  ``statistics.digg_count`` ...) or the camelCase shape embedded in pages
  (``awemeId``, ``stats.diggCount`` ...), as Zeeschuimer captures them.
- ``row``: one CSV/XLSX row ``{header: text}``; headers are mapped to fields by
  :func:`map_headers` (Chinese and English spellings, plus config aliases).

Decisions: ``shares`` is ``share_count`` only (what the app shows by the share
arrow; ``forward_count``, in-app reposts, stays in ``raw``). ``views`` is
``play_count`` although Douyin often reports 0 there. Image posts become photos
and their slideshow "video" (the music track) is dropped. An item without a
create time (the 2020 share-page API) gets ``created_at = fetched_at`` and a warning.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from cqfriends.errors import BadInput, ConfigError, NormalizeError
from cqfriends.normalize.post import (
    Author,
    Batch,
    Media,
    Metrics,
    NormalizeOptions,
    Post,
    RawRecord,
)

SOURCE = "douyin"
VIDEO_URL = "https://www.douyin.com/video/{}"
USER_URL = "https://www.douyin.com/user/{}"

# field -> built-in header spellings (exact first, then case/space/underscore-insensitive)
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("作品ID", "视频ID", "作品id", "视频id", "aweme_id", "awemeId", "id", "item_id"),
    "text": ("作品描述", "标题描述", "作品名称", "作品标题", "视频标题", "视频描述", "标题", "描述",
             "desc", "title"),
    "created_at": ("发布时间", "创建时间", "create_time", "createTime", "publish_time"),
    "author_name": ("账号昵称", "作者昵称", "作者名称", "昵称", "nickname", "author"),
    "author_handle": ("作者ID", "抖音号", "ID", "unique_id", "uniqueId", "short_id"),
    "author_id": ("UID", "uid", "作者UID", "author_user_id", "user_id"),
    "sec_uid": ("SEC_UID", "sec_uid", "secUid"),
    "likes": ("点赞数", "点赞数量", "点赞量", "获赞数", "digg_count", "diggCount", "likes"),
    "comments": ("评论数", "评论数量", "评论量", "comment_count", "commentCount", "comments"),
    "shares": ("分享数", "分享数量", "分享量", "share_count", "shareCount", "shares"),
    "views": ("播放量", "播放数量", "播放数", "play_count", "playCount", "views"),
    "collects": ("收藏数量", "收藏量", "收藏数", "collect_count", "collectCount"),
    "url": ("作品链接", "视频链接", "链接", "share_url", "shareUrl", "url"),
    "hashtags": ("作品话题", "话题", "text_extra", "hashtags"),
    "duration": ("视频时长", "时长", "duration"),
    "cover": ("静态封面", "封面", "封面链接", "cover", "static_cover"),
    "video_url": ("下载地址", "视频地址", "video_url", "downloads", "play_url"),
}
# alias targets a config may also use (the export's own key names)
FIELD_SYNONYMS = {"aweme_id": "id", "desc": "text", "create_time": "created_at",
                  "nickname": "author_name", "unique_id": "author_handle", "uid": "author_id",
                  "digg_count": "likes", "comment_count": "comments", "share_count": "shares",
                  "play_count": "views", "collect_count": "collects", "share_url": "url",
                  "static_cover": "cover", "downloads": "video_url", "source_id": "id"}
FIELDS = tuple(HEADER_ALIASES)
COUNT_FIELDS = ("likes", "comments", "shares", "views", "collects")
_UNITS = {"万": 10_000, "w": 10_000, "千": 1_000, "k": 1_000, "亿": 100_000_000, "m": 1_000_000}
_HASHTAG = re.compile(r"#(\w+)")
_FLOATISH_ID = re.compile(r"^\d+(\.\d*)?[eE][+-]?\d+$|^\d+\.\d*$")
_VIDEO_ID_IN_URL = re.compile(r"(?:/video/|/note/|modal_id=)(\d{6,})")


def _fold(header: str) -> str:
    return re.sub(r"[\s_\-\ufeff]+", "", header).casefold()


_EXACT = {h: f for f, hs in HEADER_ALIASES.items() for h in hs}
_FOLDED: dict[str, str] = {}
for _h, _f in _EXACT.items():
    _FOLDED.setdefault(_fold(_h), _f)
_FOLDED["id"] = "id"


def expected_columns() -> str:
    return ", ".join(HEADER_ALIASES["id"] + HEADER_ALIASES["text"] + HEADER_ALIASES["url"])


def map_headers(headers: list[str], aliases: dict[str, str]) -> dict[str, str]:
    """Header -> field for every recognised header (first header wins per field).

    ``aliases`` (config ``column_aliases``: header -> field) win over the built-ins.
    Raises ``ConfigError`` for an alias to an unknown field and ``BadInput`` when
    neither an id-ish nor a description column is recognised.
    """
    return dict(_map_headers(tuple(headers), tuple(sorted(aliases.items()))))


@lru_cache(maxsize=64)
def _map_headers(headers: tuple[str, ...], aliases: tuple[tuple[str, str], ...]
                 ) -> tuple[tuple[str, str], ...]:
    extra: dict[str, str] = {}
    for header, target in aliases:
        field = FIELD_SYNONYMS.get(target, target)
        if field not in HEADER_ALIASES:
            raise ConfigError([f"sources.douyin.column_aliases.{header}: unknown field "
                               f"{target!r}; expected one of {', '.join(FIELDS)}"])
        extra[header] = field
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:
        h = (header or "").strip().lstrip("\ufeff")
        found = extra.get(h) or _EXACT.get(h) or _FOLDED.get(_fold(h))
        if found and found not in taken:
            mapping[header] = found
            taken.add(found)
    if not taken & {"id", "text", "url"}:
        raise BadInput(f"no recognisable columns; expected one of: {expected_columns()}")
    return tuple(mapping.items())


def parse_count(text: Any) -> int:
    """'1.2万' -> 12000, '3.5w' -> 35000, '10万+' -> 100000, '1,234' -> 1234, '' -> 0."""
    s = str(text if text is not None else "").strip().replace(",", "").replace("，", "")
    s = s.rstrip("+").strip().lower()
    if s in ("", "-", "--", "—", "none", "null", "nan"):
        return 0
    unit = 1
    if s and s[-1] in _UNITS:
        unit, s = _UNITS[s[-1]], s[:-1].strip()
    try:
        value = Decimal(s) * unit
    except InvalidOperation:
        raise ValueError(f"not a count: {text!r}") from None
    if value < 0 or not value.is_finite():
        raise ValueError(f"not a count: {text!r}")
    return int(value)


_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
                 "%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M",
                 "%Y年%m月%d日", "%Y.%m.%d %H:%M:%S", "%Y.%m.%d %H:%M")


def parse_time(text: Any, tz: Any = None) -> datetime:
    """Epoch s/ms, ISO 8601, or local 'YYYY-MM-DD HH:MM[:SS]' (in ``tz``) -> aware UTC."""
    s = str(text).strip()
    if re.fullmatch(r"\d{9,13}(\.\d+)?", s):
        value = float(s)
        return datetime.fromtimestamp(value / 1000 if value >= 1e11 else value, UTC)
    parsed = None
    try:
        parsed = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        for fmt in _TIME_FORMATS:
            try:
                parsed = datetime.strptime(s, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        raise ValueError(f"not a time: {text!r}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz or UTC)
    return parsed.astimezone(UTC)


def parse_id(text: Any) -> str:
    """An aweme id as a digit string; a float-mangled id ('7.3e+18', '...456.0') is refused."""
    s = str(text).strip().lstrip("'\t").strip()
    if _FLOATISH_ID.match(s):
        raise ValueError(f"id {s!r} went through a float: precision lost, export ids as text")
    if not s.isdigit() or not s.isascii():
        raise ValueError(f"not a Douyin id: {s!r}")
    return s


def safe_url(url: Any) -> str:
    """Only http(s) URLs leave; protocol-relative '//x' becomes 'https://x'."""
    u = str(url or "").strip()
    if u.startswith("//"):
        u = "https:" + u
    return u if re.match(r"https?://", u, re.I) else ""


def hashtags_of(text: str, names: list[str]) -> list[str]:
    tags = [n.lstrip("#").strip().lower() for n in names if n and n.strip("# ")]
    tags += [t.lower() for t in _HASHTAG.findall(text or "")]
    return list(dict.fromkeys(tags))


def normalize_item(record: RawRecord, options: NormalizeOptions) -> Batch:
    """One export record (``item`` or ``row``) -> a Batch of at most one Post."""
    batch = Batch()
    try:
        if record.kind == "item":
            batch.posts.append(_post_from_item(record, batch.warnings))
        elif record.kind == "row":
            batch.posts.append(_post_from_row(record, options, batch.warnings))
        elif record.kind == "bad":
            batch.errors.append(record.data)
        else:
            raise NormalizeError(f"unknown douyin record kind {record.kind!r}",
                                 file=record.origin, line=record.line)
    except BadInput as e:
        if e.file is None:
            e = type(e)(e.reason, file=record.origin, line=record.line, field=e.field)
        batch.errors.append(e)
    return batch


def _first_url(obj: Any, *keys: str) -> str:
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


def _video_media(video: dict, duration: Any) -> Media | None:
    rates = video.get("bit_rate") or video.get("bitRateList") or []
    rates = sorted((r for r in rates if isinstance(r, dict)),
                   key=lambda r: r.get("bit_rate") or r.get("bitRate") or 0, reverse=True)
    url = ""
    for rate in rates:
        url = _first_url(rate, "play_addr", "playAddr", "playApi")
        if url:
            break
    url = url or _first_url(video, "play_addr", "playAddr", "playApi", "download_addr")
    cover = _first_url(video, "cover", "origin_cover", "originCover", "dynamic_cover")
    if not (url or cover):
        return None
    ms = video.get("duration") or duration
    return Media("video", url, cover, int(ms) if str(ms or "").isdigit() else None)


def _item_id(item: dict) -> str:
    for key in ("aweme_id", "awemeId", "id"):
        value = item.get(key)
        if value not in (None, ""):
            if isinstance(value, float):
                raise NormalizeError("aweme id is a float: precision lost", field=key)
            try:
                return parse_id(value)
            except ValueError as e:
                raise NormalizeError(str(e), field=key) from None
    raise NormalizeError("item has no aweme_id / awemeId", field="aweme_id")


def _post_from_item(record: RawRecord, warnings: list[str]) -> Post:
    item = record.data
    if not isinstance(item, dict):
        raise NormalizeError("item is not a JSON object")
    aweme_id = _item_id(item)
    author = item.get("author") or item.get("authorInfo") or {}
    stats = item.get("statistics") or item.get("stats") or {}
    extra = item.get("text_extra") or item.get("textExtra") or []
    created = item.get("create_time") or item.get("createTime")
    if created:
        created_at = parse_time(created)
    else:
        created_at = record.fetched_at
        warnings.append(f"douyin:{aweme_id}: no create_time; using the capture time")
    sec_uid = author.get("sec_uid") or author.get("secUid") or ""
    desc = str(item.get("desc") or "")
    media: list[Media] = []
    for image in item.get("images") or []:
        url = _first_url({"i": image}, "i")
        if url:
            media.append(Media("photo", url, url))
    if not media and isinstance(item.get("video"), dict):
        video = _video_media(item["video"], item.get("duration"))
        media += [video] if video else []
    forwarded = next((item[k] for k in ("forward_item", "forwardItem", "origin_aweme")
                      if isinstance(item.get(k), dict)), None)
    repost_of = None
    if forwarded and (forwarded.get("aweme_id") or forwarded.get("awemeId")):
        repost_of = f"{SOURCE}:{forwarded.get('aweme_id') or forwarded.get('awemeId')}"

    def stat(snake: str, camel: str) -> int:
        return parse_count(stats.get(snake, stats.get(camel)))

    return Post(
        source=SOURCE, source_id=aweme_id, url=VIDEO_URL.format(aweme_id),
        author=Author(
            id=str(item.get("author_user_id") or item.get("authorUserId") or author.get("uid")
                   or sec_uid),
            name=str(author.get("nickname") or ""),
            handle=str(author.get("unique_id") or author.get("uniqueId")
                       or author.get("short_id") or author.get("shortId") or ""),
            url=USER_URL.format(sec_uid) if sec_uid else ""),
        text=desc, created_at=created_at, collected_at=record.fetched_at,
        lang=item.get("desc_language") or None,
        hashtags=hashtags_of(desc, [str(e.get("hashtag_name") or e.get("hashtagName") or "")
                                    for e in extra if isinstance(e, dict)]),
        mentions=[str(e.get("sec_uid") or e.get("secUid")) for e in extra
                  if isinstance(e, dict) and (e.get("sec_uid") or e.get("secUid"))],
        media=media,
        metrics=Metrics(likes=stat("digg_count", "diggCount"),
                        comments=stat("comment_count", "commentCount"),
                        shares=stat("share_count", "shareCount"),
                        views=stat("play_count", "playCount")),
        is_repost=repost_of is not None, repost_of=repost_of, raw=item)


def _post_from_row(record: RawRecord, options: NormalizeOptions, warnings: list[str]) -> Post:
    row: dict[str, Any] = record.data
    mapping = map_headers(list(row), options.column_aliases)
    header_of = {field: header for header, field in mapping.items()}
    values = {field: str(row.get(header) or "").strip() for header, field in mapping.items()}

    def fail(field: str, reason: str) -> NormalizeError:
        return NormalizeError(reason, file=record.origin, line=record.line,
                              field=header_of.get(field, field))

    share_url = safe_url(values.get("url"))
    if values.get("id"):
        try:
            aweme_id = parse_id(values["id"])
        except ValueError as e:
            raise fail("id", str(e)) from None
    else:
        match = _VIDEO_ID_IN_URL.search(values.get("url", ""))
        if not match:
            raise fail("id", f"no work id; expected a column {', '.join(HEADER_ALIASES['id'])}"
                             " or a link with /video/<id>")
        aweme_id = match.group(1)
    counts = {}
    for field in COUNT_FIELDS:
        try:
            counts[field] = parse_count(values.get(field))
        except ValueError as e:
            raise fail(field, str(e)) from None
    if values.get("created_at"):
        try:
            created_at = parse_time(values["created_at"], options.tz)
        except ValueError as e:
            raise fail("created_at", str(e)) from None
    else:
        created_at = record.fetched_at
        warnings.append(f"douyin:{aweme_id}: no publish time; using the file time")
    cover, video_url = safe_url(values.get("cover")), safe_url(values.get("video_url"))
    media = [Media("video", video_url, cover, _duration_ms(values.get("duration")))]
    sec_uid = values.get("sec_uid", "")
    text = values.get("text", "")
    return Post(
        source=SOURCE, source_id=aweme_id, url=VIDEO_URL.format(aweme_id),
        author=Author(id=values.get("author_id") or sec_uid or values.get("author_handle")
                      or values.get("author_name", ""), name=values.get("author_name", ""),
                      handle=values.get("author_handle", ""),
                      url=USER_URL.format(sec_uid) if sec_uid else ""),
        text=text, created_at=created_at, collected_at=record.fetched_at,
        hashtags=hashtags_of(text, re.split(r"[\s,，;；#\[\]'\"、]+", values.get("hashtags", ""))),
        media=media if (cover or video_url) else [],
        metrics=Metrics(likes=counts["likes"], comments=counts["comments"],
                        shares=counts["shares"], views=counts["views"]),
        raw={**row, "__line": record.line, **({"__share_url": share_url} if share_url else {})})


def _duration_ms(text: str | None) -> int | None:
    """'00:01:05' / '1:05' / '65' / '65秒' (seconds) -> ms; a bare number > 36000 is ms already."""
    s = (text or "").strip().rstrip("s秒").strip()
    try:
        if ":" in s:
            parts = [float(p) for p in s.split(":")]
            seconds = sum(p * 60**i for i, p in enumerate(reversed(parts)))
            return int(timedelta(seconds=seconds).total_seconds() * 1000)
        value = float(s)
    except ValueError:
        return None
    return int(value if value > 36000 else value * 1000)
