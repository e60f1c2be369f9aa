"""Near-duplicate matching: blocking keys, then rapidfuzz verification.

Blocking: one-permutation MinHash over character 4-grams of the cleaned
caption (``BANDS`` bands of ``ROWS`` bins), plus identical-media keys (media
URL without its query, Douyin video id).  The keys live in the DedupKey table,
so a new batch is compared with everything stored without a rebuild; a key
holds at most ``BUCKET_CAP`` posts (the earliest), which bounds the work per
post no matter how common a phrase is.  Candidates are verified with
``rapidfuzz.fuzz.ratio`` on the cleaned text; media keys are exact.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rapidfuzz import fuzz

from cqfriends.moderation.checks.text import URL, cached_text, weighted_length
from cqfriends.store.authors import author_key

SHINGLE = 4
BANDS = 12
ROWS = 4
BINS = BANDS * ROWS
BUCKET_CAP = 12
PLATFORMS = {"twitter": "Twitter/X", "facebook": "Facebook", "instagram": "Instagram",
             "douyin": "Douyin", "tiktok": "TikTok"}
_BAND_KEY = "t%d:" + ".".join(["%x"] * ROWS)
_NOT_ALNUM = re.compile(r"[\W_]")  # \w is str.isalnum() plus "_"
_DOUYIN_VIDEO = re.compile(r"douyin\.com/(?:video|note)/(\d{6,})|modal_id=(\d{6,})")


@dataclass(slots=True)
class Work:
    """A post as duplicate matching sees it (stored or in the current batch)."""

    id: int
    key: str
    source: str
    author_id: str
    author_names: frozenset[str]
    created_at: datetime
    text: str  # dedup_text
    duplicate_of: str | None = None
    keys: list[str] = field(default_factory=list)
    handle: str = ""
    name: str = ""

    @property
    def account(self) -> tuple[str, str]:
        """(source, author id, or ``@handle`` without one): what a person links."""
        return self.source, author_key(self.author_id, self.handle)


@dataclass(frozen=True, slots=True)
class Match:
    work: Work
    kind: str  # "text" or "media"
    score: float


@cached_text
def author_names(handle: str, name: str) -> frozenset[str]:
    """Handles and display names folded to letters and digits, for cross-platform identity."""
    names = set()
    for value in (handle, name):
        folded = _NOT_ALNUM.sub("", unicodedata.normalize("NFKC", value or "").casefold())
        if len(folded) >= 3:
            names.add(folded)
    return frozenset(names)


def same_author(a: Work, b: Work) -> bool:
    """Same account, or on another platform the same handle or display name."""
    if a.source == b.source:
        return bool(a.author_id) and a.author_id == b.author_id
    return bool(a.author_names & b.author_names)


def text_keys(text: str, *, min_chars: int) -> list[str]:
    """LSH band keys of a cleaned caption; none when it is too short to be a work's own."""
    if weighted_length(text) < min_chars:
        return []
    compact = " ".join(text.split())
    # the smallest hash of each bin: assigned in descending order, the last (smallest) wins
    least = {h % BINS: h for h in sorted(set(map(zlib.crc32, _shingles(compact))), reverse=True)}
    bins = [least.get(b, -1) for b in range(BINS)]
    keys = []
    for band in range(BANDS):
        values = bins[band * ROWS:(band + 1) * ROWS]
        if min(values) >= 0:  # the usual case: every bin of the band is filled
            keys.append(_BAND_KEY % (band, *values))
        elif max(values) >= 0:
            keys.append(f"t{band}:" + ".".join(format(v, "x") if v >= 0 else "-" for v in values))
    return keys


def _shingles(compact: str) -> Iterable[bytes]:
    """UTF-8 bytes of every ``SHINGLE``-character window (the whole text if shorter)."""
    count = max(1, len(compact) - SHINGLE + 1)
    if compact.isascii():  # one character is one byte: slice the encoded text once
        data = compact.encode("ascii")
        return [data[i:i + SHINGLE] for i in range(count)]
    return [compact[i:i + SHINGLE].encode("utf-8") for i in range(count)]


def media_keys(*, source: str, source_id: str, text: str, media: Iterable[dict[str, Any]]
               ) -> list[str]:
    """Exact keys for the same photo or video: media URL (no query), Douyin video ids, and
    an upload's perceptual hash (``uploads`` indexes archived social posts under it too)."""
    keys = set()
    for item in media:
        url = str(item.get("url") or "").split("?", 1)[0]
        if url.startswith(("http://", "https://")):
            keys.add("m:" + hashlib.sha1(url.encode("utf-8")).hexdigest()[:24])
        if phash := item.get("phash"):
            keys.add(picture_key(str(phash)))
    videos = {a or b for a, b in _DOUYIN_VIDEO.findall(" ".join(URL.findall(text or "")))}
    if source == "douyin":
        videos.add(source_id)
    keys.update(f"v:{v}" for v in videos if v)
    return sorted(keys)


def picture_key(phash: str) -> str:
    """The dedup key of a picture's perceptual hash (an 'm' key: identical media)."""
    return "mp:" + phash[:16]


def verify(new: Work, candidates: Iterable[tuple[Work, set[str]]], *, threshold: float,
           copy_min_chars: int) -> list[Match]:
    """Candidates (with the keys they share) that really are the same work as ``new``.

    A shared media key is identical media; a shared text band only proposes a pair
    that the rapidfuzz ratio of the cleaned captions must confirm.
    """
    matches = []
    for other, shared in candidates:
        if other.id == new.id:
            continue
        if any(k[0] in "mv" for k in shared):
            matches.append(Match(other, "media", 100.0))
            continue
        score = fuzz.ratio(new.text, other.text, score_cutoff=threshold)
        if not score:
            continue
        shorter = min(weighted_length(new.text), weighted_length(other.text))
        if shorter < copy_min_chars and not same_author(new, other):
            continue  # short boilerplate by different people is not a copy
        matches.append(Match(other, "text", score))
    return matches


def platform(source: str) -> str:
    return PLATFORMS.get(source, source)
