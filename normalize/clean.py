"""What every Post must satisfy before it is stored, whatever platform it came from.

``clean_post`` is the last step of every normalizer (``normalize_record`` calls it):

- text is cleaned: NUL characters and unpaired surrogates (which PostgreSQL and
  UTF-8 refuse) are removed from every string, the raw payload included, with a warning;
- counts outside the database column (0 .. 2**63-1) are clamped, with a warning;
- a time outside 1970-2100, an id longer than its column or a caption longer than
  ``MAX_TEXT_CHARS`` makes the record unusable (``NormalizeError`` naming the field);
- a raw payload nested deeper than ``MAX_DEPTH`` is refused (it could not be stored).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from cqfriends.errors import NormalizeError
from cqfriends.normalize.post import Author, Media, Metrics, Post

MAX_COUNT = 2**63 - 1  # BIGINT
MAX_ID_CHARS = 128  # post.source_id / post.author_id
MAX_KEY_CHARS = 160  # post.repost_of
MAX_LANG_CHARS = 16
MAX_TEXT_CHARS = 100_000  # no platform allows a caption this long: a broken export
MAX_DEPTH = 100  # JSON nesting of one record; real payloads stay under 20
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")  # json.loads joins valid pairs: these are lone


def clean_text(value: str) -> str:
    """``value`` without NUL characters and unpaired surrogates."""
    return _BAD_CHARS.sub("", value) if _BAD_CHARS.search(value) else value


def clean_json(value: Any, depth: int = 0) -> tuple[Any, bool]:
    """A JSON value every database accepts, and whether anything had to change.

    Strings (keys too) lose NUL and lone surrogates; infinite or NaN floats become
    their text ("inf"); nesting deeper than MAX_DEPTH raises ``NormalizeError``.
    """
    if depth == 0 and _already_clean(value):
        return value, False
    if depth > MAX_DEPTH:
        raise NormalizeError(f"nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, str):
        cleaned = clean_text(value)
        return cleaned, cleaned is not value
    if isinstance(value, float) and not math.isfinite(value):
        return str(value), True
    if isinstance(value, dict):
        out, changed = {}, False
        for key, item in value.items():
            new_key, key_changed = clean_json(str(key), depth + 1)
            out[new_key], item_changed = clean_json(item, depth + 1)
            changed = changed or key_changed or item_changed or not isinstance(key, str)
        return out, changed
    if isinstance(value, list | tuple):
        items = [clean_json(i, depth + 1) for i in value]
        return [i for i, _ in items], any(c for _, c in items)
    return value, False


def _already_clean(value: Any) -> bool:
    """Whether ``clean_json`` would change nothing, found by one round trip through JSON
    (C code) instead of a walk in Python: most payloads are clean, and the walk was the
    larger part of normalizing a tweet.

    Anything the walk would change shows: ``\\u0000`` (JSON escapes NUL) or a lone
    surrogate in the text,
    ``NaN``/``Infinity``, or a value that does not come back equal (a key that is not a
    string, a tuple); more brackets than ``MAX_DEPTH`` leaves the depth to the walk.
    """
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        return False
    if ("\\u0000" in text or "NaN" in text or "Infinity" in text or _BAD_CHARS.search(text)
            or text.count("{") + text.count("[") > MAX_DEPTH):
        return False
    try:
        return bool(json.loads(text) == value)
    except (ValueError, RecursionError):
        return False


def json_depth_exceeds(value: Any, limit: int = MAX_DEPTH) -> bool:
    """True when ``value`` nests deeper than ``limit`` (iterative: no recursion limit)."""
    if limit < 0:
        return True
    stack = [(value, 0)] if isinstance(value, dict | list) else []
    while stack:  # only containers go on the stack: a child's depth is its parent's + 1
        item, depth = stack.pop()
        items = item.values() if isinstance(item, dict) else item
        if not items:
            continue
        if depth >= limit:
            return True
        stack.extend((v, depth + 1) for v in items if isinstance(v, dict | list))
    return False


def clean_post(post: Post, warnings: list[str]) -> Post:
    """``post`` made storable (see the module doc); raises ``NormalizeError`` if it cannot be."""
    _check_limits(post)
    changed: set[str] = set()

    def text(value: str, name: str) -> str:
        cleaned = clean_text(value)
        if cleaned != value:
            changed.add(name)
        return cleaned

    author = Author(id=text(post.author.id, "author"), name=text(post.author.name, "author"),
                    handle=text(post.author.handle, "author"), url=text(post.author.url, "author"))
    media = [Media(m.type, text(m.url, "media"), text(m.preview_url, "media"),
                   _duration(m.duration_ms)) for m in post.media]
    raw, raw_changed = clean_json(post.raw)
    if raw_changed:
        changed.add("raw")
    lang = text(post.lang, "lang") if post.lang else None
    if lang and len(lang) > MAX_LANG_CHARS:
        warnings.append(f"{post.key}: language tag {lang[:20]!r}... is not a language; dropped")
        lang = None
    repost_of = text(post.repost_of, "repost_of") if post.repost_of else None
    if repost_of and len(repost_of) > MAX_KEY_CHARS:
        warnings.append(f"{post.key}: the original's id is too long; repost link dropped")
        repost_of = None
    if changed:
        warnings.append(f"{post.key}: removed NUL characters or unpaired surrogates from "
                        f"{', '.join(sorted(changed))}")
    return replace(
        post, source_id=text(post.source_id, "id"), url=text(post.url, "url"), author=author,
        text=text(post.text, "text"), lang=lang, media=media, repost_of=repost_of, raw=raw,
        hashtags=[t for t in (text(h, "hashtags") for h in post.hashtags) if t],
        mentions=[m for m in (text(x, "mentions") for x in post.mentions) if m],
        metrics=_clamp_metrics(post, warnings))


def _check_limits(post: Post) -> None:
    if not post.source_id.strip():
        raise NormalizeError("empty id", field="id")
    if len(post.source_id) > MAX_ID_CHARS:
        raise NormalizeError(f"id of {len(post.source_id)} characters (at most {MAX_ID_CHARS})",
                             field="id")
    if len(post.author.id) > MAX_ID_CHARS:
        raise NormalizeError(f"author id of {len(post.author.id)} characters", field="author")
    if len(post.text) > MAX_TEXT_CHARS:
        raise NormalizeError(f"caption of {len(post.text)} characters (at most "
                             f"{MAX_TEXT_CHARS})", field="text")
    for name in ("created_at", "collected_at"):
        when = getattr(post, name)
        if when.tzinfo is None or not EARLIEST <= when < LATEST:
            raise NormalizeError(f"time {when.isoformat()} is outside 1970-2100", field=name)


def _clamp_metrics(post: Post, warnings: list[str]) -> Metrics:
    values = {}
    for name in ("likes", "comments", "shares", "views"):
        value = getattr(post.metrics, name)
        if not isinstance(value, int) or isinstance(value, bool):
            value = 0
        clamped = min(max(value, 0), MAX_COUNT)
        if clamped != value:
            shown = ("a negative number" if value < 0
                     else f"about {int(value.bit_length() * 0.30103) + 1} digits")
            warnings.append(f"{post.key}: {name} was {shown}; clamped to {clamped}")
        values[name] = clamped
    return Metrics(**values)


def _duration(ms: int | None) -> int | None:
    if isinstance(ms, int) and not isinstance(ms, bool) and 0 <= ms <= 10**12:
        return ms
    return None
