"""One export row -> Post, for the short-video platforms (Douyin, TikTok).

``RowSpec`` says what differs per platform (its header table, links, the zone of
times written without one); everything else — ids that lost precision, counts,
times, media, the file-level "no caption, no time, no author" rule — is here once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from cqfriends.errors import NormalizeError
from cqfriends.normalize.post import Author, Media, Metrics, NormalizeOptions, Post, RawRecord
from cqfriends.normalize.rows import (
    HeaderTable,
    check_content_columns,
    duration_ms,
    hashtags_of,
    map_headers,
    parse_count,
    parse_id,
    parse_time,
    row_values,
    safe_url,
    same_number,
    split_tags,
    url_list,
)

COUNT_FIELDS = ("likes", "comments", "shares", "views", "collects")
_FLOAT_ID = re.compile(r"^\d+(\.\d*)?[eE][+-]?\d+$|^\d+\.\d*$")


@dataclass(frozen=True, eq=False)
class RowSpec:
    source: str
    table: HeaderTable
    video_url: Callable[[str, str], str]  # (id, author handle) -> permalink
    user_url: Callable[[str, str], str]  # (sec_uid, handle) -> profile link, '' if unknown
    id_in_url: re.Pattern[str]
    sec_uid_in_url: re.Pattern[str]
    utc_times: bool = False  # times without a zone are UTC (4CAT/Zeeschuimer TikTok), else local


def post_from_row(record: RawRecord, options: NormalizeOptions, spec: RowSpec,
                  warnings: list[str]) -> Post:
    row: dict[str, Any] = record.data
    if not isinstance(row, dict):
        raise NormalizeError("row is not a record of columns")
    mapping = map_headers(spec.table, list(row), options.column_aliases)
    check_content_columns(spec.table, mapping)
    header_of = {field: header for header, field in mapping.items()}
    values = row_values(mapping, row)

    def fail(field: str, reason: str) -> NormalizeError:
        return NormalizeError(reason, file=record.origin, line=record.line,
                              field=header_of.get(field, field))

    links = [u for u in (safe_url(values.get(f)) for f in ("url", "url_alt")) if u]
    post_id = _row_id(values, links, spec, fail, warnings)
    counts = {}
    for field in COUNT_FIELDS:
        try:
            counts[field] = parse_count(values.get(field))
        except ValueError as e:
            raise fail(field, str(e)) from None
    created_at = record.fetched_at
    for field in ("created_epoch", "created_at"):
        if values.get(field):
            try:
                created_at = parse_time(values[field], UTC if spec.utc_times else options.tz)
            except ValueError as e:
                raise fail(field, str(e)) from None
            break
    else:
        warnings.append(f"{spec.source}:{post_id}: no publish time; using the file time")
    sec_uid = values.get("sec_uid") or _match(spec.sec_uid_in_url, values.get("author_url", ""))
    handle, text = values.get("author_handle", ""), values.get("text", "")
    tags = split_tags(values.get("hashtags", "")) + split_tags(values.get("topics", ""))
    return Post(
        source=spec.source, source_id=post_id, url=spec.video_url(post_id, handle),
        author=Author(id=values.get("author_id") or sec_uid or handle
                      or values.get("author_name", ""), name=values.get("author_name", ""),
                      handle=handle, url=spec.user_url(sec_uid, handle)),
        text=text, created_at=created_at, collected_at=record.fetched_at,
        hashtags=hashtags_of(text, tags), mentions=_mentions(values.get("mentions", ""), spec),
        media=_media(values),
        metrics=Metrics(likes=counts["likes"], comments=counts["comments"],
                        shares=counts["shares"], views=counts["views"]),
        raw={**row, "__line": record.line, **({"__share_url": links[0]} if links else {})})


def _row_id(values: dict[str, str], links: list[str], spec: RowSpec, fail: Any,
            warnings: list[str]) -> str:
    """The work id: its column, else the link; a float-mangled id is recovered from the link."""
    in_link = next((m for m in (_match(spec.id_in_url, u) for u in links) if m), "")
    cell = values.get("id", "")
    if not cell:
        if not in_link:
            raise fail("id", f"no work id; expected a column {spec.table.expected('id')}"
                             " or a link with /video/<id>")
        return in_link
    try:
        return parse_id(cell)
    except ValueError as e:
        if _FLOAT_ID.match(cell.strip()) and in_link and same_number(cell, in_link):
            warnings.append(f"{spec.source}:{in_link}: the id cell {cell!r} lost precision; "
                            "the exact id was taken from the link")
            return in_link
        raise fail("id", str(e)) from None


def _media(values: dict[str, str]) -> list[Media]:
    photos = url_list(values.get("images", ""))
    if photos:
        return [Media("photo", u, u) for u in photos]
    cover, video = safe_url(values.get("cover")), safe_url(values.get("video_url"))
    if not (cover or video):
        return []
    ms = duration_ms(values.get("duration_ms"), unit_ms=True) if values.get("duration_ms") \
        else duration_ms(values.get("duration"))
    return [Media("video", video, cover, ms)]


def _mentions(text: str, spec: RowSpec) -> list[str]:
    """4CAT writes mentions as profile links; other tools as names."""
    found = [_match(spec.sec_uid_in_url, u) for u in url_list(text)]
    if not found:
        found = [t.lstrip("@") for t in re.split(r"[,\s]+", text) if t.strip("@")]
    return list(dict.fromkeys(f for f in found if f))


def _match(pattern: re.Pattern[str], text: str) -> str:
    found = pattern.search(text or "") if pattern.groups else None
    return found.group(1) if found else ""
