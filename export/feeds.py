"""Feeds of approved posts: JSON, JSON Feed 1.1, Atom (RFC 4287) and CSV.

Each writer takes ``Shown`` pairs: a row already filtered by ``store.exports``
(approved only) and its media as ``export.copies.public_rows`` gives them (links
to our copies; the platform's link as ``source_url``), and emits text.
Participant text is escaped for its format; links are http(s) or our own paths.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

from markupsafe import escape

from cqfriends.export.present import author_label, cut, public_post, safe_url
from cqfriends.settings import Settings
from cqfriends.store.exports import ExportedPost
from cqfriends.store.models import utcnow

JSONFEED_VERSION = "https://jsonfeed.org/version/1.1"
CSV_COLUMNS = ("key", "source", "url", "author_name", "author_handle", "author_url", "text",
               "lang", "section", "featured", "created_at", "changed_at", "likes", "comments",
               "shares", "views", "media_urls", "media_source_urls")
Shown = tuple[ExportedPost, list[dict[str, Any]]]  # a row and its media (our copies)
# Characters XML 1.0 forbids; a participant's text may carry them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _iso(value: datetime | None) -> str:
    return (value or utcnow()).isoformat().replace("+00:00", "Z")


def _updated(row: ExportedPost) -> datetime:
    return row.changed_at or row.decided_at or row.created_at


def write_json(rows: Iterable[Shown]) -> str:
    posts = [public_post(r, media) for r, media in rows]
    return json.dumps({"count": len(posts), "posts": posts}, ensure_ascii=False)


def write_jsonfeed(rows: Iterable[Shown], settings: Settings, feed_url: str = "") -> str:
    items = [_jsonfeed_item(r, media) for r, media in rows]
    feed: dict[str, Any] = {"version": JSONFEED_VERSION,
                            "title": f"{settings.campaign.name}: approved works",
                            "items": items}
    if safe_url(feed_url):
        feed["feed_url"] = feed_url
    return json.dumps(feed, ensure_ascii=False)


def _jsonfeed_item(row: ExportedPost, media: list[dict[str, Any]]) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": row.key, "content_text": row.text or "",
        "content_html": f"<p>{escape(row.text or '')}</p>",
        "title": cut(row.text or "", 80), "date_published": _iso(row.created_at),
        "date_modified": _iso(_updated(row)), "tags": list(row.hashtags or []),
        "authors": [{"name": author_label(row)}],
        "_cqf": {"source": row.source, "section": row.section, "featured": row.featured},
    }
    if url := safe_url(row.url):
        item["url"] = url
    if author_url := safe_url(row.author_url):
        item["authors"][0]["url"] = author_url
    if lang := row.lang or row.platform_lang:
        item["language"] = lang
    if image := next((m["url"] if m["type"] == "photo" else m["preview_url"] for m in media
                      if m["preview_url"]), ""):
        item["image"] = image
    attachments = [{"url": m["url"], "mime_type": m["mime_type"]} for m in media if m["url"]]
    if attachments:
        item["attachments"] = attachments
    return item


def _x(text: str) -> str:
    return xml_escape(_NOT_XML.sub("", text))


def write_atom(rows: Iterable[Shown], settings: Settings, feed_url: str = "") -> str:
    rows = list(rows)
    updated = max((_updated(r) for r, _ in rows), default=None)
    title = _x(f"{settings.campaign.name}: approved works")
    head = ['<?xml version="1.0" encoding="utf-8"?>',
            '<feed xmlns="http://www.w3.org/2005/Atom">',
            f"<id>tag:cqfriends,2026:feeds/approved</id><title>{title}</title>",
            f"<updated>{_iso(updated)}</updated>",
            "<author><name>cqfriends</name></author>"]
    if safe_url(feed_url):
        head.append(f"<link rel=\"self\" href={quoteattr(feed_url)}/>")
    return "\n".join(head + [_atom_entry(r, media) for r, media in rows] + ["</feed>", ""])


def _atom_entry(row: ExportedPost, media: list[dict[str, Any]]) -> str:
    parts = [f"<entry><id>tag:cqfriends,2026:post/{_x(row.key)}</id>",
             f"<title type=\"text\">{_x(cut(row.text or '', 80) or row.key)}</title>",
             f"<published>{_iso(row.created_at)}</published>",
             f"<updated>{_iso(_updated(row))}</updated>",
             f"<author><name>{_x(author_label(row))}</name>"]
    if author_url := safe_url(row.author_url):
        parts.append(f"<uri>{_x(author_url)}</uri>")
    parts.append("</author>")
    if url := safe_url(row.url):
        parts.append(f"<link rel=\"alternate\" href={quoteattr(url)}/>")
    for m in media:
        if m["url"]:
            parts.append(f"<link rel=\"enclosure\" type={quoteattr(m['mime_type'])}"
                         f" href={quoteattr(m['url'])}/>")
    if row.section:
        parts.append(f"<category term={quoteattr(_NOT_XML.sub('', row.section))}/>")
    parts.append(f"<content type=\"text\">{_x(row.text or '')}</content></entry>")
    return "".join(parts)


def csv_cell(value: Any) -> Any:
    """A cell a spreadsheet will not run as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def iter_csv(rows: Iterable[Shown]) -> Iterator[str]:
    """The CSV export line by line (header first), for streaming."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush(values: Iterable[Any]) -> str:
        writer.writerow([csv_cell(v) for v in values])
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield flush(CSV_COLUMNS)
    for row, media in rows:
        data = public_post(row, media)
        data.update(data.pop("metrics"))
        data["media_urls"] = " ".join(m["url"] or m["preview_url"] for m in media if
                                      m["url"] or m["preview_url"])
        data["media_source_urls"] = " ".join(m["source_url"] for m in media if m["source_url"])
        yield flush(data.get(c, "") if c != "featured" else int(bool(data[c]))
                    for c in CSV_COLUMNS)


def write_csv(rows: Iterable[Shown]) -> str:
    return "".join(iter_csv(rows))
