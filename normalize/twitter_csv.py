"""twarc-csv rows -> Post: ``twarc2 csv`` writes one flattened tweet per row.

Its columns are dotted paths of the flattened tweet (``public_metrics.like_count``,
``author.username``, ``attachments.media`` ...), lists JSON-encoded, entities
reduced to text (``["#ChongqingFriends"]``, ``["@kofi_cq"]``) and the referenced
tweets split into ``referenced_tweets.<type>.id`` columns (DocNow/twarc-csv,
``dataframe_converter.py``).  A row is turned back into the flattened tweet it came
from and mapped like one, so every field means the same as in a JSON page.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from cqfriends.errors import NormalizeError
from cqfriends.normalize.post import Batch, NormalizeOptions, RawRecord

REFERENCE_TYPES = ("retweeted", "quoted", "replied_to")
METRICS = ("like_count", "reply_count", "retweet_count", "quote_count", "impression_count",
           "bookmark_count")
AUTHOR = ("id", "username", "name", "profile_image_url", "url")
EXPECTED = ("id", "text", "created_at", "author_id", "author.username")
_WHOLE = re.compile(r"^\d+(\.0*)?$")  # pandas writes 12.0 in a column with gaps


def is_twarc_csv(headers: list[str]) -> bool:
    return {"id", "text"} <= set(headers) and any(h.startswith(
        ("public_metrics.", "author.", "referenced_tweets.")) for h in headers)


def normalize_row(record: RawRecord, options: NormalizeOptions) -> Batch:
    from cqfriends.normalize.twitter import Includes, normalize_tweet

    batch = Batch()
    try:
        tweet = tweet_of_row(record.data)
        batch.posts.append(normalize_tweet(tweet, Includes.from_flat_tweet(tweet),
                                           collected_at=retrieved_at(record),
                                           warnings=batch.warnings))
    except NormalizeError as e:
        batch.errors.append(NormalizeError(e.reason, file=record.origin, line=record.line,
                                           field=e.field))
    return batch


def tweet_of_row(row: Any) -> dict[str, Any]:
    """The flattened tweet a twarc-csv row was made from (as much as the row kept)."""
    if not isinstance(row, dict) or not row.get("id"):
        raise NormalizeError(f"no tweet id; expected the columns {', '.join(EXPECTED)}",
                             field="id")
    cell = {k: v.strip() if isinstance(v, str) else "" for k, v in row.items()}
    tweet: dict[str, Any] = {k: cell[k] for k in ("id", "text", "created_at", "author_id",
                                                  "conversation_id", "lang") if cell.get(k)}
    tweet["public_metrics"] = {m: _count(cell.get(f"public_metrics.{m}"), m) for m in METRICS
                               if cell.get(f"public_metrics.{m}")}
    history = _json_list(cell.get("edit_history_tweet_ids"), "edit_history_tweet_ids")
    if history:
        tweet["edit_history_tweet_ids"] = [str(i) for i in history]
    tweet["referenced_tweets"] = [{"type": t, "id": cell[f"referenced_tweets.{t}.id"]}
                                  for t in REFERENCE_TYPES if cell.get(f"referenced_tweets.{t}.id")]
    tweet["entities"] = {
        "hashtags": [{"tag": str(t).lstrip("#＃")} for t in _json_list(
            cell.get("entities.hashtags"), "entities.hashtags")],
        "mentions": [{"username": str(m).lstrip("@")} for m in _json_list(
            cell.get("entities.mentions"), "entities.mentions")]}
    media = [m for m in _json_list(cell.get("attachments.media"), "attachments.media")
             if isinstance(m, dict)]
    keys = [str(k) for k in _json_list(cell.get("attachments.media_keys"),
                                       "attachments.media_keys")]
    tweet["attachments"] = {"media_keys": keys or [str(m.get("media_key")) for m in media],
                            "media": media}
    author = {k: cell[f"author.{k}"] for k in AUTHOR if cell.get(f"author.{k}")}
    if author:
        tweet["author"] = author
        tweet.setdefault("author_id", author.get("id", ""))
    return tweet


def retrieved_at(record: RawRecord) -> datetime:
    """``__twarc.retrieved_at`` of the row (when twarc fetched it), else the file's time."""
    stamp = record.data.get("__twarc.retrieved_at") if isinstance(record.data, dict) else None
    try:
        parsed = datetime.fromisoformat(str(stamp or ""))
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return record.fetched_at


def _count(text: str | None, name: str) -> int:
    if not text:
        return 0
    if not _WHOLE.match(text):
        raise NormalizeError(f"not a count: {text[:40]!r}", field=f"public_metrics.{name}")
    return int(text.split(".", 1)[0]) if len(text) < 40 else 2**63


def _json_list(text: str | None, column: str) -> list[Any]:
    if not text:
        return []
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise NormalizeError(f"not a JSON list: {text[:40]!r}", field=column) from None
    return value if isinstance(value, list) else []
