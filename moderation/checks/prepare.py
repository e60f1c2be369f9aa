"""What the checks compute from a post alone, worked out a batch ahead in the detection worker.

A check run's main process does the database work and the matching; the pure
part of each post (the texts the checks compare, its dedup keys, whether its
language needs detecting, its content rule flags) does not depend on any other
post.  While the main process checks one batch, ``prepare_after`` reads the next
batch in the detection worker and prepares it there.  Each result carries the
values it was computed from; the main process uses it only for a post whose
values are still the same, and prepares any other post itself with the same
``prepare``, so the outcome never depends on whether the worker helped.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from cqfriends.moderation.checks import dedup, language
from cqfriends.moderation.checks.rules import Flag, Rules
from cqfriends.moderation.checks.text import dedup_text, is_retweet_text, language_text
from cqfriends.settings import Settings
from cqfriends.store import checks as store
from cqfriends.store.db import private_engine, session_scope

INPUTS = ("text", "source", "source_id", "media", "platform_lang", "hashtags", "mentions")
COLUMNS = ("id", *INPUTS)
_engines: dict[str, Any] = {}  # the worker's own, one per database


class Prepared(NamedTuple):
    inputs: tuple[Any, ...]  # the post's INPUTS this was computed from
    retweet: bool  # an old-style "RT @..." text
    dedup_text: str
    keys: list[str]  # text band and media keys
    cleaned: str  # what language detection sees
    lang_hash: str  # its language-cache key
    settled: tuple[str, float] | None  # the language when no detection is needed
    content: tuple[list[Flag], list[Flag]]  # Rules.content_flags


def inputs(post: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(post[c] for c in INPUTS)


def prepare(post: dict[str, Any], settings: Settings, rules: Rules) -> Prepared:
    text = post["text"] or ""
    words = dedup_text(text, campaign_tags=rules.campaign_tags)
    keys = dedup.text_keys(words, min_chars=settings.dedup.min_chars) + dedup.media_keys(
        source=post["source"], source_id=post["source_id"], text=text,
        media=post["media"] or [])
    cleaned = language_text(text)
    known = language.settled(platform_lang=post["platform_lang"], cleaned=cleaned,
                             min_chars=settings.languages.min_chars)
    return Prepared(inputs(post), is_retweet_text(post["text"]), words, keys, cleaned,
                    language.text_hash(cleaned),
                    None if known is None else (known.lang, known.confidence),
                    rules.content_flags(post))


def prepare_after(url: str, settings: Settings, after_id: int, limit: int
                  ) -> dict[int, Prepared]:
    """In a worker: the next ``limit`` unchecked posts after ``after_id``, prepared."""
    if (engine := _engines.get(url)) is None:
        engine = _engines[url] = private_engine(url)
    with session_scope(engine) as session:
        posts = store.load_posts(session=session, after_id=after_id, limit=limit,
                                 columns=COLUMNS, claim=False)
    rules = Rules.from_settings(settings)  # content flags need no author lists
    return {post["id"]: prepare(post, settings, rules) for post in posts}
