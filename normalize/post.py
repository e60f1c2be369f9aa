"""``Post``: the one schema every source is normalized into (DESIGN.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

SOURCES = ("twitter", "facebook", "instagram", "douyin", "tiktok", "upload")
MediaType = Literal["photo", "video", "gif"]


@dataclass(frozen=True, slots=True)
class Author:
    id: str
    name: str = ""
    handle: str = ""
    url: str = ""


@dataclass(frozen=True, slots=True)
class Media:
    type: MediaType
    url: str = ""
    preview_url: str = ""
    duration_ms: int | None = None
    phash: str | None = None  # a participant's upload: its picture's perceptual hash (dedup)

    def to_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"type": self.type, "url": self.url,
                                 "preview_url": self.preview_url, "duration_ms": self.duration_ms}
        if self.phash:
            found["phash"] = self.phash
        return found


@dataclass(frozen=True, slots=True)
class Metrics:
    likes: int = 0
    comments: int = 0
    shares: int = 0
    views: int = 0


@dataclass(slots=True)
class Post:
    """A normalized post; ``raw`` is the payload it came from, kept for re-normalizing."""

    source: str
    source_id: str
    url: str
    author: Author
    text: str
    created_at: datetime  # aware, UTC
    collected_at: datetime  # aware, UTC: when the page was fetched or the export made
    lang: str | None = None  # the platform's own language tag, if it gave one
    hashtags: list[str] = field(default_factory=list)  # lower-case, no '#'
    mentions: list[str] = field(default_factory=list)
    media: list[Media] = field(default_factory=list)
    metrics: Metrics = field(default_factory=Metrics)
    is_repost: bool = False
    repost_of: str | None = None  # key of the original, "source:source_id"
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return make_key(self.source, self.source_id)


def make_key(source: str, source_id: str) -> str:
    return f"{source}:{source_id}"


def split_key(key: str) -> tuple[str, str]:
    source, sep, source_id = key.partition(":")
    if not sep or source not in SOURCES or not source_id:
        raise ValueError(f"not a post key (source:source_id): {key!r}")
    return source, source_id


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One unit a collector hands on: an API page, or one export item/row.

    ``origin`` names where it came from (a file path or a request URL) and
    ``line`` the line/row in that file, so a bad item can be reported exactly.
    ``cursor_after`` is the source cursor that may be saved once this record's
    posts are committed (collectors set it on the last record of a run only).
    """

    source: str  # collector family: twitter | facebook | douyin | tiktok
    kind: str  # twitter: search_page | tweets_page; facebook: graph_page; douyin: item | row
    data: Any
    origin: str
    fetched_at: datetime
    line: int | None = None
    cursor_after: dict[str, Any] | None = None


@dataclass(slots=True)
class Batch:
    """What a normalizer made of one RawRecord: the posts, and what it could not use."""

    posts: list[Post] = field(default_factory=list)
    errors: list[Exception] = field(default_factory=list)  # NormalizeError, mostly
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class NormalizeOptions:
    """What a normalizer may know besides the record: it never reads settings itself."""

    tz: Any = None  # zoneinfo.ZoneInfo of the campaign; export times without a zone are in it
    column_aliases: dict[str, str] = field(default_factory=dict)  # extra export headers
