"""Cleaning captions for the checks: one normal form for language, duplicates and rules.

Everything here is pure.  ``fold`` is NFKC (full-width -> ASCII, ``＃`` -> ``#``)
plus ``casefold``; ``strip_markup`` drops URLs, @mentions, hashtags (or only
the campaign ones) and emoji, so that captions compare on what people wrote.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")
CACHED_TEXTS = 8192  # a post's caption is cleaned several ways by several checks: once each
CACHED_CHARS = 2000  # longer texts are not kept: a cache of captions must stay small
URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
MENTION = re.compile(r"(?<![\w@])@[\w.]+")
HASHTAG = re.compile(r"#([^\s#@.,;:!?，。！？、\"'()\[\]{}<>]+)")
RT_PREFIX = re.compile(r"^\s*rt\s+@[\w]+\s*:", re.IGNORECASE)
SPACES = re.compile(r"\s+")
# Emoji, pictographs, dingbats, arrows and shapes, their joiners, variation selectors and
# skin-tone modifiers, and other symbols (So/Sk): nothing a language lives in.
_SYMBOLS = re.compile(
    "[\u2190-\u21ff\u2300-\u23ff\u2460-\u27bf\u2900-\u297f\u2b00-\u2bff\u3030\u303d"
    "\u3297\u3299\u200b-\u200f\u2060-\u206f\ufe00-\ufe0f\ufff0-\uffff\u00a9\u00ae"
    "\u2122\u2139\u20d0-\u20ff\U0001f000-\U0001faff\U000e0000-\U000e007f]")
_WIDE = re.compile("[\u2e80-\u9fff\uac00-\ud7af]")
NOT_WORD = re.compile(r"[^\w\s]|_")


def cached_text(function: Callable[..., T]) -> Callable[..., T]:
    """``function`` of strings, remembered for the last CACHED_TEXTS short arguments."""
    cached = functools.lru_cache(maxsize=CACHED_TEXTS)(function)

    @functools.wraps(function)
    def call(*texts: str) -> T:
        if sum(len(t or "") for t in texts) > CACHED_CHARS:
            return function(*texts)
        return cached(*texts)

    return call


@cached_text
def fold(text: str) -> str:
    """Width- and case-insensitive form: ``＃Ｃｈｏｎｇｑｉｎｇ`` -> ``#chongqing``."""
    return unicodedata.normalize("NFKC", text or "").casefold()


def tag_key(tag: str) -> str:
    """A hashtag or topic as compared: folded, without ``#`` and inner spaces."""
    return SPACES.sub("", fold(tag)).lstrip("#")


def strip_symbols(text: str) -> str:
    """Drop emoji and other symbols; keep letters, digits, punctuation and spaces."""
    return text if text.isascii() else _SYMBOLS.sub("", text)


def hashtags_in(text: str) -> list[str]:
    """Hashtags written in ``text`` as ``tag_key`` forms (the normalizers' list may miss some)."""
    return list(_hashtags(text))


@cached_text
def _hashtags(text: str) -> tuple[str, ...]:
    return tuple(tag_key(m) for m in HASHTAG.findall(fold(text)))


def strip_markup(text: str, *, drop_tags: Iterable[str] | None = None) -> str:
    """Folded text without URLs, mentions, emoji, and hashtags.

    ``drop_tags=None`` removes every hashtag; otherwise only those whose ``tag_key``
    is in ``drop_tags`` go and the others stay as plain words.
    """
    if drop_tags is None:
        return _without_markup(text)
    drop = set(drop_tags)
    text = HASHTAG.sub(lambda m: " " if tag_key(m.group(1)) in drop else f" {m.group(1)} ",
                       MENTION.sub(" ", URL.sub(" ", fold(text))))
    return SPACES.sub(" ", strip_symbols(text)).strip()


@cached_text
def _without_markup(text: str) -> str:
    text = HASHTAG.sub(" ", MENTION.sub(" ", URL.sub(" ", fold(text))))
    return SPACES.sub(" ", strip_symbols(text)).strip()


def language_text(text: str) -> str:
    """What language detection sees: no URLs, mentions, hashtags or emoji."""
    return strip_markup(text)


def dedup_text(text: str, *, campaign_tags: Iterable[str]) -> str:
    """What near-duplicate matching compares.

    Campaign hashtags, URLs, mentions, emoji and punctuation go; the other
    hashtags move to the end in sorted order so reordering them changes nothing.
    """
    tags = sorted(set(hashtags_in(text)) - set(campaign_tags))
    body = HASHTAG.sub(" ", MENTION.sub(" ", URL.sub(" ", fold(text))))
    words = SPACES.sub(" ", NOT_WORD.sub(" ", strip_symbols(body))).strip()
    return f"{words} {' '.join(tags)}".strip() if tags else words


def weighted_length(text: str) -> int:
    """Length with ideographs and Hangul syllables counting double (they carry more)."""
    return len(text) + len(_WIDE.findall(text))


def is_retweet_text(text: str) -> bool:
    """Old-style manual retweets: ``RT @someone: ...``."""
    return bool(RT_PREFIX.match(text or ""))
