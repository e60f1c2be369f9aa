"""Graph API pages (Facebook Page feed, /posts, /tagged; Instagram hashtag media) -> Post.

One page holds items of one platform, but each item is told apart by its own
fields: Instagram media carry ``media_type`` IMAGE|VIDEO|CAROUSEL_ALBUM,
``caption``, ``like_count``; Facebook posts carry ``message``, ``created_time``,
``permalink_url``.  Pure: no I/O, no clock (``record.fetched_at`` stands in for
a missing Instagram timestamp).
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import UTC, datetime
from typing import Any

from cqfriends.errors import BadInput, NormalizeError
from cqfriends.normalize.clean import json_depth_exceeds
from cqfriends.normalize.post import (
    Author,
    Batch,
    Media,
    Metrics,
    NormalizeOptions,
    Post,
    RawRecord,
)

IG_MEDIA_TYPES = {"IMAGE", "VIDEO", "CAROUSEL_ALBUM"}
IG_ONLY_FIELDS = ("caption", "like_count", "comments_count", "media_url", "timestamp")
FB_VIDEO_TYPES = {"video", "video_inline", "video_autoplay", "animated_image_video"}
HASH_MARKS = "#＃"
MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9._]{1,30})")


class ItemError(ValueError):
    """A field of one item is unusable; ``field`` is its path inside the item."""

    def __init__(self, field: str, reason: str):
        self.field = field
        super().__init__(reason)


def normalize_page(record: RawRecord, options: NormalizeOptions) -> Batch:
    """Every usable item of one Graph answer; bad items go to ``batch.errors``.

    An answer is a page (``{"data": [...], "paging"}``), one object (a line of
    facebook-sdk's ``get_all_connections`` items, or ``get_object``), an ``?ids=``
    answer (``{id: object, ...}``) or one element of a batch answer
    (``{"code", "headers", "body": "<JSON text>"}``; ``null`` for an operation that
    timed out).
    """
    batch = Batch()
    page = record.data
    if isinstance(page, BadInput):  # a line the file reader could not parse
        batch.errors.append(page)
        return batch
    try:
        items, where = graph_items(page)
    except ItemError as e:
        batch.errors.append(_page_error(record, e.field, str(e)))
        return batch
    for index, item in enumerate(items):
        path = where(index)
        try:
            batch.posts.append(map_item(item, record, batch.warnings, index))
        except ItemError as e:
            batch.errors.append(_page_error(record, f"{path}.{e.field}".strip("."), str(e)))
        except Exception as e:  # noqa: BLE001 - one item's surprise must not cost the page
            batch.errors.append(_page_error(
                record, path, f"unusable item ({type(e).__name__}: {str(e)[:200]})"))
    return batch


def graph_items(answer: Any, depth: int = 0) -> tuple[list[Any], Any]:
    """The items of one Graph answer and how to name item i; ``ItemError`` if none."""
    if answer is None:
        raise ItemError("", "no answer (a batch operation that timed out)")
    if not isinstance(answer, dict):
        raise ItemError("data", "not a Graph API answer (no 'data' list, object or batch answer)")
    if "error" in answer:
        raise ItemError("error", describe_graph_error(answer["error"]))
    if "data" in answer:
        if not isinstance(answer["data"], list):
            raise ItemError("data", "not a Graph API page ('data' is not a list)")
        return answer["data"], lambda i: f"data[{i}]"
    if "code" in answer and "body" in answer and depth == 0:
        return graph_items(_batch_body(answer), depth + 1)
    if "id" in answer:
        return [answer], lambda i: ""
    objects = list(answer.values())
    if objects and all(isinstance(o, dict) and str(o.get("id")) == str(k)
                       for k, o in answer.items()):
        keys = list(answer)
        return objects, lambda i: str(keys[i])
    raise ItemError("data", "not a Graph API answer (no 'data' list, object or batch answer)")


def _batch_body(answer: dict[str, Any]) -> Any:
    body = answer.get("body")
    if not isinstance(body, str):
        raise ItemError("body", "batch answer without a JSON body")
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        raise ItemError("body", "batch answer body is not JSON") from None
    if json_depth_exceeds(parsed):
        raise ItemError("body", "batch answer body is nested too deeply")
    code = answer.get("code")
    if code != 200 and not (isinstance(parsed, dict) and "error" in parsed):
        raise ItemError("code", f"batch operation answered HTTP {code!r}")
    return parsed


def renormalize(raw: Any, *, collected_at: datetime, options: NormalizeOptions) -> Post:
    """``cqf renormalize``: a stored item mapped again."""
    record = RawRecord("facebook", "graph_page", raw, "stored", collected_at)
    try:
        return map_item(raw, record, [], 0)
    except ItemError as e:
        raise NormalizeError(str(e), field=e.field or None) from None


def describe_graph_error(error: Any) -> str:
    if not isinstance(error, dict):
        return f"Graph API error: {error!r}"
    code = error.get("code")
    sub = error.get("error_subcode")
    where = f"code {code}" + (f", subcode {sub}" if sub else "")
    return f"Graph API error ({where}, {error.get('type', '')}): {error.get('message', '')}"


def is_instagram(item: dict[str, Any]) -> bool:
    if item.get("media_type") in IG_MEDIA_TYPES:
        return True
    if "instagram.com" in str(item.get("permalink") or ""):
        return True
    return "message" not in item and any(k in item for k in IG_ONLY_FIELDS)


def map_item(item: Any, record: RawRecord, warnings: list[str], index: int) -> Post:
    if not isinstance(item, dict):
        raise ItemError("", f"item is a {type(item).__name__}, not an object")
    raw_id = item.get("id")
    if isinstance(raw_id, bool) or not isinstance(raw_id, str | int) or not str(raw_id).strip():
        raise ItemError("id", "missing id")
    source_id = str(raw_id).strip()
    if is_instagram(item):
        return _instagram_post(item, source_id, record, warnings, index)
    return _facebook_post(item, source_id, record)


def _facebook_post(item: dict[str, Any], source_id: str, record: RawRecord) -> Post:
    if "created_time" not in item:
        raise ItemError("created_time", "missing created_time")
    text = _text(item, "message")
    return Post(
        source="facebook",
        source_id=source_id,
        url=_http(item.get("permalink_url")) or f"https://www.facebook.com/{source_id}",
        author=_facebook_author(item, source_id),
        text=text,
        created_at=parse_time(item["created_time"], "created_time"),
        collected_at=record.fetched_at,
        hashtags=extract_hashtags(text),
        mentions=_tag_names(item.get("message_tags")),
        media=_facebook_media(item),
        metrics=Metrics(
            likes=_summary_total(item, "reactions") or _summary_total(item, "like"),
            comments=_summary_total(item, "comments"),
            shares=_count(_field(item.get("shares"), "count")),
        ),
        raw=item,
    )


def _instagram_post(
    item: dict[str, Any], source_id: str, record: RawRecord, warnings: list[str], index: int,
) -> Post:
    if item.get("timestamp"):
        created_at = parse_time(item["timestamp"], "timestamp")
    else:
        created_at = record.fetched_at
        warnings.append(
            f"data[{index}]: Instagram media {source_id} has no timestamp; using fetch time")
    text = _text(item, "caption")
    return Post(
        source="instagram",
        source_id=source_id,
        url=_http(item.get("permalink")),
        author=_instagram_author(item),
        text=text,
        created_at=created_at,
        collected_at=record.fetched_at,
        hashtags=extract_hashtags(text),
        mentions=_unique(m.rstrip(".").lower() for m in MENTION.findall(text)),
        media=_instagram_media(item),
        metrics=Metrics(
            likes=_count(item.get("like_count")), comments=_count(item.get("comments_count"))),
        raw=item,
    )


def parse_time(value: Any, field: str) -> datetime:
    """Graph times: ``2026-10-03T12:05:00+0000`` (also accepts ``Z`` and ``+00:00``)."""
    if not isinstance(value, str):
        raise ItemError(field, f"not a time: {str(value)[:40]!r}")
    try:
        return datetime.strptime(value.strip(), "%Y-%m-%dT%H:%M:%S%z").astimezone(UTC)
    except ValueError:
        raise ItemError(field, f"not a Graph API time: {value[:40]!r}") from None
    except OverflowError:
        raise ItemError(field, f"time out of range: {value[:40]!r}") from None


def extract_hashtags(text: str) -> list[str]:
    """``#tag`` / full-width ``＃tag`` words (letters, marks, digits, ``_``; CJK and Thai too)."""
    tags: list[str] = []
    i, n, tag_end = 0, len(text), -1
    while i < n:  # a tag may follow another directly (#重庆朋友#山城), not a word (page#anchor)
        if text[i] in HASH_MARKS and (i in (0, tag_end) or not _word_char(text[i - 1])):
            j = i + 1
            while j < n and _word_char(text[j]):
                j += 1
            tag = text[i + 1:j]
            if tag and not tag.isdigit():
                tags.append(tag.lower())
            i = tag_end = j
        else:
            i += 1
    return _unique(tags)


def _word_char(ch: str) -> bool:
    return ch == "_" or unicodedata.category(ch)[0] in "LMN"


def _facebook_author(item: dict[str, Any], source_id: str) -> Author:
    sender = item.get("from")
    if isinstance(sender, dict) and sender.get("id"):
        author_id = str(sender["id"])
        return Author(id=author_id, name=_str(sender.get("name")),
                      url=f"https://www.facebook.com/{author_id}")
    page_id = source_id.split("_", 1)[0]
    return Author(id=page_id, url=f"https://www.facebook.com/{page_id}")


def _instagram_author(item: dict[str, Any]) -> Author:
    owner = _dict(item.get("owner"))
    username = _str(item.get("username"))
    author_id = _str(owner.get("id")) or (f"@{username}" if username else "")
    safe = re.fullmatch(r"[A-Za-z0-9._]+", username)
    url = f"https://www.instagram.com/{username}/" if safe else ""
    return Author(id=author_id, name=username, handle=username, url=url)


def _facebook_media(item: dict[str, Any]) -> list[Media]:
    media: list[Media] = []
    for attachment in _data(item.get("attachments")):
        subs = _data(attachment.get("subattachments"))  # an album: its cover repeats a child
        for part in subs or [attachment]:
            media.extend(_attachment_media(part))
    if not media and "attachments" not in item and _http(item.get("full_picture")):
        media.append(Media(type="photo", url=_http(item["full_picture"])))
    return media


def _attachment_media(attachment: dict[str, Any]) -> list[Media]:
    found = _dict(attachment.get("media"))
    image = _dict(found.get("image"))
    picture = _http(image.get("src"))
    kind = f"{attachment.get('type', '')} {attachment.get('media_type', '')}".split()
    if any(k in FB_VIDEO_TYPES for k in kind):
        video = _http(found.get("source"))
        return [Media(type="video", url=video, preview_url=picture)] if video or picture else []
    if attachment.get("media_type") in ("photo", "album", None) and picture:
        return [Media(type="photo", url=picture)]
    return []  # link previews and the like are not the participant's media


def _instagram_media(item: dict[str, Any]) -> list[Media]:
    kind = item.get("media_type")
    if kind == "CAROUSEL_ALBUM":
        return [m for child in _data(item.get("children")) for m in _instagram_media(child)]
    url, thumb = _http(item.get("media_url")), _http(item.get("thumbnail_url"))
    if kind == "VIDEO" and (url or thumb):
        return [Media(type="video", url=url, preview_url=thumb)]
    if kind == "IMAGE" and url:
        return [Media(type="photo", url=url)]
    return []


def _summary_total(item: dict[str, Any], name: str) -> int:
    return _count(_field(_field(item.get(name), "summary"), "total_count"))


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _field(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, dict) else None


def _tag_names(tags: Any) -> list[str]:
    if not isinstance(tags, list):
        return []
    return _unique(_str(t.get("name")) for t in tags if isinstance(t, dict) and t.get("name"))


def _data(edge: Any) -> list[dict[str, Any]]:
    items = edge.get("data") if isinstance(edge, dict) else None
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _text(item: dict[str, Any], key: str) -> str:
    value = item.get(key)
    if value is not None and not isinstance(value, str):
        raise ItemError(key, f"not text: {type(value).__name__}")
    return value or ""


def _count(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return max(value, 0)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return 0


def _http(value: Any) -> str:
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else ""


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _unique(values: Any) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def _page_error(record: RawRecord, field: str, reason: str) -> NormalizeError:
    return NormalizeError(reason, file=record.origin, line=record.line, field=field)
