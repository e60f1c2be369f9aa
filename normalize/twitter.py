"""X API v2 response pages -> ``Post`` (pure: no I/O, no clock).

A page is ``{"data": [Tweet...], "includes": {"users", "tweets", "media", ...},
"errors": [...], "meta": {...}}`` as ``GET /2/tweets/search/recent`` and
``GET /2/tweets?ids=`` return it (twarc2 adds ``__twarc``; it is ignored).
Every tweet in ``data`` becomes one Post; a tweet that cannot be used becomes a
``NormalizeError`` naming its field (``data[3].created_at``) and the rest are kept.
Partial errors of the API (``errors[]``, e.g. a suspended mentioned user) become
warnings. ``Post.raw`` holds the tweet plus only the includes it references, so
``normalize_raw(post.raw, ...)`` re-normalizes one post alone.

Besides search pages: a twarc2 ``stream`` message (``data`` is one tweet object),
a ``twarc2 flatten`` line (one tweet with ``author``, ``attachments.media`` and the
referenced tweets expanded inline) and a twarc-csv row (``normalize.twitter_csv``).
An edited tweet is one post keyed by the first id of ``edit_history_tweet_ids``
(the original's): every version maps to it, the newest version's text and link are
the post's, and ``raw["edit_rank"]`` (the version's place in the history) keeps an
older version from overwriting a newer one (``store.posts``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
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

SOURCE = "twitter"
# X's codes for "no language": undefined, media/hashtags/cashtags/mentions only, very
# short text, quote-only, no linguistic content, art.
NO_LANGUAGE = frozenset({"und", "qme", "qht", "qam", "qst", "qct", "zxx", "art"})
_HANDLE = re.compile(r"^[A-Za-z0-9_]{1,50}$")
_PAGE_KEYS = ("data", "meta", "errors")


@dataclass(slots=True)
class Includes:
    """``includes`` of a page, indexed for lookups."""

    users: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    tweets: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    media: dict[str, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_page(cls, includes: Any) -> Includes:
        includes = includes if isinstance(includes, Mapping) else {}
        return cls(
            users=_index(includes.get("users"), "id"),
            tweets=_index(includes.get("tweets"), "id"),
            media=_index(includes.get("media"), "media_key"),
        )

    @classmethod
    def from_flat_tweet(cls, tweet: Mapping[str, Any]) -> Includes:
        """What ``twarc2 flatten`` put inline: the author, media, referenced tweets."""
        found = cls()
        for item in (tweet, *_referenced(tweet)):
            user = item.get("author")
            if isinstance(user, Mapping) and user.get("id"):
                found.users[str(user["id"])] = user
            for media in _list((_mapping(item.get("attachments"))).get("media")):
                if isinstance(media, Mapping) and media.get("media_key"):
                    found.media[str(media["media_key"])] = media
        for ref in _referenced(tweet):
            if ref.get("id") and any(k in ref for k in ("text", "author_id", "created_at")):
                found.tweets[str(ref["id"])] = ref
        return found

    def merged(self, other: Includes) -> Includes:
        return Includes(users={**other.users, **self.users},
                        tweets={**other.tweets, **self.tweets},
                        media={**other.media, **self.media})


def normalize_page(record: RawRecord, options: NormalizeOptions) -> Batch:
    """Map one API page, stream message or flattened tweet to a Batch of posts, errors."""
    if isinstance(record.data, BadInput):  # a line the file reader could not parse
        return Batch(errors=[record.data])
    if record.kind == "csv_row":
        from cqfriends.normalize.twitter_csv import normalize_row
        return normalize_row(record, options)
    page = coerce_page(record.data)
    if isinstance(page, Mapping) and not any(k in page for k in _PAGE_KEYS) and "id" in page:
        return _tweets_batch(record, [page], Includes(), flat=True)
    if not isinstance(page, Mapping) or not any(k in page for k in _PAGE_KEYS):
        return Batch(errors=[NormalizeError(
            "not an X API v2 page, stream message or flattened tweet (expected 'data', "
            "'meta', 'errors' or a tweet 'id')", file=record.origin, line=record.line)])
    tweets = page.get("data") or []
    if isinstance(tweets, Mapping):  # twarc2 stream, GET /2/tweets/:id: one tweet
        tweets = [tweets]
    if not isinstance(tweets, list):
        batch = Batch(errors=[NormalizeError("'data' is neither a list nor a tweet", field="data",
                                             file=record.origin, line=record.line)])
    else:
        batch = _tweets_batch(record, tweets, Includes.from_page(page.get("includes")))
    errors = page.get("errors")
    if isinstance(errors, list):
        batch.warnings[:0] = [describe_api_error(e) for e in errors]
    return batch


def _tweets_batch(record: RawRecord, tweets: list[Any], includes: Includes,
                  flat: bool = False) -> Batch:
    batch = Batch()
    for i, tweet in enumerate(tweets):
        here = "" if flat else f"data[{i}]"
        try:
            found = Includes.from_flat_tweet(tweet) if isinstance(tweet, Mapping) else Includes()
            batch.posts.append(normalize_tweet(tweet, includes.merged(found),
                                               collected_at=record.fetched_at,
                                               warnings=batch.warnings))
        except NormalizeError as e:
            path = ".".join(p for p in (here, e.field or "") if p) or None
            batch.errors.append(NormalizeError(e.reason, field=path, file=record.origin,
                                               line=record.line))
        except Exception as e:  # noqa: BLE001 - one tweet's surprise must not cost the page
            batch.errors.append(NormalizeError(
                f"unusable tweet ({type(e).__name__}: {str(e)[:200]})", field=here or None,
                file=record.origin, line=record.line))
    return batch


def normalize_raw(raw: Mapping[str, Any], *, collected_at: datetime) -> Post:
    """Re-normalize a stored ``Post.raw`` (``{"tweet", "includes"}``) on its own."""
    tweet = raw.get("tweet")
    includes = Includes.from_page(raw.get("includes"))
    if isinstance(tweet, Mapping):
        includes = includes.merged(Includes.from_flat_tweet(tweet))
    return normalize_tweet(tweet, includes, collected_at=collected_at)


def renormalize(raw: Any, *, collected_at: datetime, options: NormalizeOptions) -> Post:
    """``cqf renormalize``: a stored ``Post.raw`` mapped again."""
    if not isinstance(raw, Mapping):
        raise NormalizeError("stored raw payload is not an object")
    return normalize_raw(raw, collected_at=collected_at)


def normalize_tweet(
    tweet: Any,
    includes: Includes,
    *,
    collected_at: datetime,
    warnings: list[str] | None = None,
) -> Post:
    """One v2 Tweet object -> Post; raises NormalizeError with a field relative to the tweet."""
    if not isinstance(tweet, Mapping):
        raise NormalizeError("tweet is not an object")
    tweet_id = _tweet_id(tweet.get("id"))
    if tweet_id is None:
        raise NormalizeError("missing tweet id", field="id")
    history = [str(i) for i in _list(tweet.get("edit_history_tweet_ids"))
               if _tweet_id(i) is not None]
    edit_rank = history.index(tweet_id) if tweet_id in history else 0
    post_id = history[0] if tweet_id in history else tweet_id  # every version: one post
    created_at = parse_time(tweet.get("created_at"), field_name="created_at")
    author_id = _tweet_id(tweet.get("author_id")) or ""
    user = includes.users.get(author_id, {})
    author = make_author(author_id, user)
    retweeted_id = referenced_id(tweet, "retweeted")
    original = includes.tweets.get(retweeted_id or "", {})
    text = _str(original.get("text")) or _str(tweet.get("text"))
    media, missing = resolve_media(tweet, includes)
    if missing and warnings is not None:
        warnings.append(f"tweet {tweet_id}: media not in includes: {', '.join(missing)}")
    hashtags = entity_values(tweet, "hashtags", "tag", lower=True)
    if original:  # the RT text is truncated: the original's hashtags count too
        hashtags = _unique(hashtags + entity_values(original, "hashtags", "tag", lower=True))
    raw: dict[str, Any] = {"tweet": dict(tweet), "includes": referenced_includes(tweet, includes)}
    if edit_rank:
        raw["edit_rank"] = edit_rank
    return Post(
        source=SOURCE,
        source_id=post_id,
        url=status_url(tweet_id, author.handle),
        author=author,
        text=text,
        created_at=created_at,
        collected_at=collected_at,
        lang=clean_lang(tweet.get("lang")),
        hashtags=hashtags,
        mentions=entity_values(tweet, "mentions", "username"),
        media=media,
        metrics=make_metrics(tweet, [includes.media.get(k, {}) for k in media_keys(tweet)]),
        is_repost=retweeted_id is not None,
        repost_of=f"{SOURCE}:{retweeted_id}" if retweeted_id else None,
        raw=raw,
    )


def coerce_page(data: Any) -> Any:
    """Accept a page dict, or a tweepy ``Response`` (data/includes/errors/meta of objects)."""
    if isinstance(data, Mapping) or not hasattr(data, "_fields"):
        return data

    def plain(item: Any) -> Any:
        return getattr(item, "data", item)

    includes = {k: [plain(i) for i in v] for k, v in (data.includes or {}).items()}
    tweets = data.data if isinstance(data.data, list) else [data.data] if data.data else []
    return {
        "data": [plain(t) for t in tweets],
        "includes": includes,
        "errors": list(data.errors or []),
        "meta": dict(data.meta or {}),
    }


def parse_time(value: Any, *, field_name: str) -> datetime:
    if not isinstance(value, str) or not value:
        raise NormalizeError("missing timestamp", field=field_name)
    try:
        parsed = datetime.fromisoformat(value)
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except ValueError:
        raise NormalizeError(f"not an ISO 8601 time: {value[:40]!r}", field=field_name) from None
    except OverflowError:
        raise NormalizeError(f"time out of range: {value[:40]!r}", field=field_name) from None


def make_author(author_id: str, user: Mapping[str, Any]) -> Author:
    handle = _str(user.get("username"))
    handle = handle if _HANDLE.match(handle) else ""
    return Author(
        id=author_id,
        name=_str(user.get("name")) or handle,
        handle=handle,
        url=f"https://x.com/{handle}" if handle else "",
    )


def status_url(tweet_id: str, handle: str) -> str:
    if handle and tweet_id.isdigit():
        return f"https://x.com/{handle}/status/{tweet_id}"
    return f"https://twitter.com/i/web/status/{tweet_id}"


def clean_lang(lang: Any) -> str | None:
    if not isinstance(lang, str) or not lang or lang in NO_LANGUAGE:
        return None
    return lang


def referenced_id(tweet: Mapping[str, Any], kind: str) -> str | None:
    for ref in _referenced(tweet):
        if ref.get("type") == kind and _tweet_id(ref.get("id")):
            return str(ref["id"])
    return None


def entity_values(tweet: Mapping[str, Any], kind: str, key: str, *, lower: bool = False) -> list:
    entities = _mapping(tweet.get("entities"))
    items = [e for e in _list(entities.get(kind)) if isinstance(e, Mapping)]
    values = [e[key] for e in items if isinstance(e.get(key), str) and e[key]]
    return _unique([v.lower().lstrip("#") for v in values] if lower else values)


def media_keys(tweet: Mapping[str, Any]) -> list[str]:
    keys = _mapping(tweet.get("attachments")).get("media_keys")
    return [k for k in _list(keys) if isinstance(k, str) and k]


def resolve_media(tweet: Mapping[str, Any], includes: Includes) -> tuple[list[Media], list[str]]:
    """Media of a tweet from ``includes.media``, and the keys that were not there."""
    media, missing = [], []
    for key in media_keys(tweet):
        item = includes.media.get(key)
        made = make_media(item) if item else None
        if made is None:
            missing.append(key)
        else:
            media.append(made)
    return media, missing


def make_media(item: Mapping[str, Any]) -> Media | None:
    kind = item.get("type")
    if kind == "photo":
        url = _http(item.get("url"))
        return Media("photo", url=url, preview_url=url)
    if kind not in ("video", "animated_gif"):
        return None
    duration = item.get("duration_ms")
    return Media(
        "gif" if kind == "animated_gif" else "video",
        url=best_mp4(item.get("variants") or []),
        preview_url=_http(item.get("preview_image_url")),
        duration_ms=duration if isinstance(duration, int) else None,
    )


def best_mp4(variants: Any) -> str:
    """URL of the highest-bit-rate MP4 variant ('' when there is none)."""
    mp4 = [
        v
        for v in _list(variants)
        if isinstance(v, Mapping) and v.get("content_type") == "video/mp4" and _http(v.get("url"))
    ]
    if not mp4:
        return ""
    return str(max(mp4, key=lambda v: _int(v.get("bit_rate")))["url"])


def make_metrics(tweet: Mapping[str, Any], media: list[Mapping[str, Any]]) -> Metrics:
    pm = _mapping(tweet.get("public_metrics"))
    views = [_int(_mapping(m.get("public_metrics")).get("view_count")) for m in media]
    return Metrics(
        likes=_int(pm.get("like_count")),
        comments=_int(pm.get("reply_count")),
        shares=_int(pm.get("retweet_count")) + _int(pm.get("quote_count")),
        views=max([*views, _int(pm.get("impression_count"))]),
    )


def referenced_includes(tweet: Mapping[str, Any], includes: Includes) -> dict[str, list]:
    """The users, tweets and media this tweet points at, so it can be re-normalized alone."""
    tweet_ids = [str(r.get("id")) for r in _referenced(tweet)]
    tweets = [includes.tweets[i] for i in tweet_ids if i in includes.tweets]
    user_ids = _unique([str(t.get("author_id") or "") for t in (tweet, *tweets)])
    return {
        "users": [includes.users[u] for u in user_ids if u in includes.users],
        "tweets": tweets,
        "media": [includes.media[k] for k in media_keys(tweet) if k in includes.media],
    }


def describe_api_error(error: Any) -> str:
    """One line for a partial error of a page (``errors[]``)."""
    if not isinstance(error, Mapping):
        return f"API error: {str(error)[:200]}"
    title = error.get("title") or "API error"
    detail = error.get("detail") or error.get("message") or ""
    resource = " ".join(str(error[k]) for k in ("resource_type", "resource_id") if error.get(k))
    return f"{title}: {detail}" + (f" ({resource})" if resource else "")


def _index(items: Any, key: str) -> dict[str, Mapping[str, Any]]:
    return {str(i[key]): i for i in _list(items)
            if isinstance(i, Mapping) and _tweet_id(i.get(key)) is not None}


def _tweet_id(value: Any) -> str | None:
    """An id as text (X sends strings; tweepy gives ints); None for anything else."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value) if isinstance(value, str) or value.bit_length() < 256 else ""
    return text.strip() or None


def _referenced(tweet: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [r for r in _list(tweet.get("referenced_tweets")) if isinstance(r, Mapping)]


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _unique(values: list[str]) -> list[str]:
    return [v for v in dict.fromkeys(values) if v]


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _http(value: Any) -> str:
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else ""
