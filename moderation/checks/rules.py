"""Configurable moderation rules: each returns flags ``{code, detail}`` a moderator can read.

Rules only flag; the runner turns two of them into a status: a banned word
with ``action: reject`` rejects (the rule is the reason) and an allow-listed
author with ``allowed_skip_queue`` is approved.  Everything else is queued.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cqfriends.moderation.checks.text import (
    MENTION,
    NOT_WORD,
    SPACES,
    URL,
    fold,
    hashtags_in,
    strip_markup,
    tag_key,
)

Flag = dict[str, str]


def flag(code: str, detail: str) -> Flag:
    return {"code": code, "detail": detail}


def word_pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    """One regex for a word list: whole words for Latin words, substrings for CJK ones."""
    parts = []
    for word in sorted({fold(w).strip() for w in words if w.strip()}, key=len, reverse=True):
        escaped = re.escape(word)
        if word[0].isascii() and word[0].isalnum():
            escaped = r"(?<!\w)" + escaped
        if word[-1].isascii() and word[-1].isalnum():
            escaped += r"(?!\w)"
        parts.append(escaped)
    return re.compile("|".join(parts)) if parts else None


def author_keys(post: dict[str, Any]) -> set[str]:
    """``source:author_id`` and ``source:@handle`` (lower-case) of a post's author."""
    keys = {f"{post['source']}:{post['author_id']}"}
    if post.get("author_handle"):
        keys.add(f"{post['source']}:@{post['author_handle'].lstrip('@').casefold()}")
    return keys


def author_set(entries: Iterable[str]) -> set[str]:
    """``source:author_id`` / ``source:@handle`` entries in the form ``author_keys`` makes."""
    out = set()
    for entry in entries:
        source, _, who = entry.strip().partition(":")
        out.add(f"{source.lower()}:{who.casefold() if who.startswith('@') else who}")
    return out


@dataclass
class Rules:
    """Compiled rules of one settings object."""

    campaign_tags: frozenset[str]
    topic_keys: frozenset[str]
    campaign_label: str
    banned: re.Pattern[str] | None
    banned_action: str
    suspect: re.Pattern[str] | None
    blocked: set[str]
    allowed: set[str]
    spam: Any

    @classmethod
    def from_settings(cls, settings: Any, blocked: Iterable[str] = (),
                      trusted: Iterable[str] = ()) -> Rules:
        """``blocked``/``trusted``: ``source:key`` rules stored from the console (store.authors)."""
        rules, campaign = settings.rules, settings.campaign
        return cls(
            campaign_tags=frozenset(tag_key(t) for t in campaign.hashtags),
            topic_keys=frozenset(tag_key(t) for t in campaign.douyin_topics),
            campaign_label=" or ".join("#" + t for t in campaign.hashtags),
            banned=word_pattern(rules.banned.words), banned_action=rules.banned.action,
            suspect=word_pattern(rules.suspect_words),
            blocked=author_set(rules.blocked_authors) | set(blocked),
            allowed=author_set(rules.allowed_authors) | set(trusted),
            spam=rules.spam)

    def evaluate(self, post: dict[str, Any], *, posts_that_day: int = 0,
                 content: tuple[list[Flag], list[Flag]] | None = None) -> list[Flag]:
        """Every rule flag of a post; ``content`` is its ``content_flags`` if known already."""
        said, spam = content or self.content_flags(post)
        flags = [*said, *self.author_flags(post), *spam]
        limit = self.spam.max_posts_per_author_per_day
        if posts_that_day > limit and post.get("author_id"):  # no id: authors unknown
            flags.append(flag("author-flood",
                              f"{posts_that_day} posts by this author that day (limit {limit})"))
        return flags

    def content_flags(self, post: dict[str, Any]) -> tuple[list[Flag], list[Flag]]:
        """(topic and word flags, spam flags): what the post alone decides, author aside."""
        text = post.get("text") or ""
        folded = fold(text)
        return self.topic_flags(post, folded) + self.word_flags(folded), self.spam_flags(post, text)

    def topic_flags(self, post: dict[str, Any], folded: str) -> list[Flag]:
        tags = {tag_key(t) for t in post.get("hashtags") or []} | set(hashtags_in(folded))
        if tags & self.campaign_tags or post["source"] == "upload":  # sent on the campaign page
            return []
        if post["source"] in ("douyin", "tiktok") and self.topic_keys:  # "Douyin (TikTok)"
            compact = "".join(folded.split())
            if tags & self.topic_keys or any(k in compact for k in self.topic_keys):
                return []
            return [flag("off-topic", f"no {self.campaign_label} hashtag and no campaign topic")]
        return [flag("off-topic", f"no {self.campaign_label} hashtag")]

    def word_flags(self, folded: str) -> list[Flag]:
        flags = []
        for code, pattern in (("banned-word", self.banned), ("suspect-word", self.suspect)):
            if pattern is not None and (found := sorted(set(pattern.findall(folded)))):
                flags.append(flag(code, ", ".join(found)))
        return flags

    def author_flags(self, post: dict[str, Any]) -> list[Flag]:
        keys = author_keys(post)
        flags = []
        if keys & self.blocked:
            flags.append(flag("blocked-author", f"{min(keys & self.blocked)} is blocked"))
        if keys & self.allowed:
            flags.append(flag("allowed-author", f"{min(keys & self.allowed)} is allow-listed"))
        return flags

    def spam_flags(self, post: dict[str, Any], text: str) -> list[Flag]:
        spam, flags = self.spam, []
        tags = max(len(set(post.get("hashtags") or [])), len(set(hashtags_in(text))))
        if tags > spam.max_hashtags:
            flags.append(flag("spam-hashtags", f"{tags} hashtags (limit {spam.max_hashtags})"))
        mentions = max(len(set(post.get("mentions") or [])), len(MENTION.findall(text)))
        if mentions > spam.max_mentions:
            flags.append(flag("spam-mentions", f"{mentions} mentions (limit {spam.max_mentions})"))
        words = strip_markup(text)
        letters = len(SPACES.sub("", NOT_WORD.sub("", words)))
        if URL.search(text) and not letters:
            flags.append(flag("link-only", "only links, hashtags or mentions"))
        elif letters < spam.min_chars and not post.get("media"):
            flags.append(flag("too-short", f"{letters} characters of text and no media"))
        return flags

    def status(self, flags: list[Flag], *, skip_queue: bool) -> tuple[str, str | None]:
        """(status, reason) that the rules decide: rejected, approved or pending."""
        codes = {f["code"] for f in flags}
        if "banned-word" in codes and self.banned_action == "reject":
            words = next(f["detail"] for f in flags if f["code"] == "banned-word")
            return "rejected", f"banned-word (rules.banned, action reject): {words}"
        if skip_queue and "allowed-author" in codes and not codes & {"blocked-author",
                                                                      "banned-word"}:
            return "approved", None
        return "pending", None
