"""Duplicate decisions for one batch against the persistent index (dedup.py does the matching).

For each new post, in creation order: candidates from the stored index and
from earlier posts of the batch are verified; then

- a match by the same person (same account, the same handle/name on another
  platform, linked accounts, or a strong identity score: people.py) folds the
  post into that work's cluster: status ``duplicate``,
  ``duplicate_of`` = the canonical key, flag ``cross-post``; the canonical's
  own ``cross-post`` flag lists every member ("also on Facebook, Douyin: ...");
- a match by another author is a contest question, not a fold: the later post
  is flagged ``possible-copy`` (close text) or ``duplicate-media`` (identical
  media) with the earlier post's key, stays queued, and keeps
  ``duplicate_of`` NULL (NULL means "shown on its own"; the link is in the flag);
- weaker identity evidence asks instead: flag ``same-person`` ("same person?" on the
  card, confirm / split), and no copy flag for that match.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cqfriends.moderation.checks import dedup
from cqfriends.moderation.checks.dedup import Match, Work
from cqfriends.moderation.checks.identity import Verdict
from cqfriends.moderation.checks.rules import Flag, flag

SAME_PERSON = "same-person"
DEDUP_CODES = frozenset({"repost", "cross-post", "possible-copy", "duplicate-media", SAME_PERSON})
SAME_PERSON_DETAIL = re.compile(r"same work as (\S+) by (\S+)\? ")


@dataclass
class Outcome:
    duplicate_of: str | None = None
    flags: list[Flag] = field(default_factory=list)


def members_detail(keys: list[str]) -> str:
    platforms = sorted({dedup.platform(k.partition(":")[0]) for k in keys})
    return f"also on {', '.join(platforms)}: {', '.join(keys)}"


def detail_keys(detail: str) -> list[str]:
    _, sep, keys = detail.partition(": ")
    return [k for k in keys.split(", ") if k] if sep else []


def with_flag(flags: list[Flag], new: Flag, *, replace: bool) -> list[Flag]:
    """``flags`` plus ``new``: replacing the same code, or adding if not already there."""
    if replace:
        return [f for f in flags if f["code"] != new["code"]] + [new]
    return flags if new in flags else [*flags, new]


@dataclass
class Folder:
    """Cluster bookkeeping of one batch; ``lookup`` loads a stored work's flags by key."""

    lookup: Callable[[str], tuple[int, list[Flag]] | None]
    judge: Callable[[Work, Match], Verdict] = field(default=lambda new, m: _by_name(new, m))
    touched: dict[int, list[Flag]] = field(default_factory=dict)  # post id -> new flags

    def flags_of(self, key: str) -> tuple[int, list[Flag]] | None:
        found = self.lookup(key)
        if found is None:
            return None
        post_id, flags = found
        return post_id, self.touched.get(post_id, flags)

    def decide(self, new: Work, matches: list[Match]) -> Outcome:
        verdicts = [(m, self.judge(new, m)) for m in matches]
        mine = [(m, v) for m, v in verdicts if v.kind == "same"]
        if mine:
            best, verdict = max(mine, key=lambda mv: (mv[0].score, -mv[0].work.id))
            canonical = best.work.duplicate_of or best.work.key
            self._add_member(canonical, new.key)
            detail = f"same work as {canonical} ({dedup.platform(canonical.partition(':')[0])})"
            if verdict.score < 1:  # found by the identity score, not the same name or account
                detail += f" by the same person ({verdict.why}; score {verdict.score:.2f})"
            else:
                detail += " by the same author"
            return Outcome(canonical, [flag("cross-post", detail)])
        outcome = Outcome()
        asked = [(m, v) for m, v in verdicts if v.kind == "ask"]
        if asked:
            best, verdict = max(asked, key=lambda mv: (mv[1].score, -mv[0].work.id))
            outcome.flags.append(same_person_flag(best.work, verdict))
        for kind in ("text", "media"):
            found = [m for m, v in verdicts if m.kind == kind and v.kind != "ask"]
            if not found:
                continue
            first = min(found, key=lambda m: (m.work.created_at, m.work.id))
            original = first.work.duplicate_of or first.work.key
            if (first.work.created_at, first.work.id) <= (new.created_at, new.id):
                outcome.flags.append(_copy_flag(kind, original, first.score))
            else:  # the stored post is the later one: it is the copy
                self._flag_stored(first.work.key, _copy_flag(kind, new.key, first.score))
        return outcome

    def _add_member(self, canonical: str, member: str) -> None:
        found = self.flags_of(canonical)
        if found is None:
            return
        post_id, flags = found
        old = next((f for f in flags if f["code"] == "cross-post" and f["detail"].startswith(
            "also on ")), None)
        keys = detail_keys(old["detail"]) if old else []
        if member not in keys:
            keys.append(member)
        self.touched[post_id] = with_flag(flags, flag("cross-post", members_detail(keys)),
                                          replace=True)

    def _flag_stored(self, key: str, new: Flag) -> None:
        found = self.flags_of(key)
        if found is not None:
            self.touched[found[0]] = with_flag(found[1], new, replace=False)


def same_person_flag(other: Work, verdict: Verdict) -> Flag:
    """The moderator's question: the card reads the work and the account back from it."""
    work = other.duplicate_of or other.key
    account = ":".join(other.account)
    return flag(SAME_PERSON, f"same work as {work} by {account}? {verdict.why} "
                             f"(score {verdict.score:.2f})")


@dataclass(frozen=True)
class SamePerson:
    """The question a ``same-person`` flag asks, as the card shows it."""

    work: str  # the earlier work's key
    account: str  # its account, source:key
    why: str


def same_person_parts(detail: str) -> tuple[str, str] | None:
    """(work key, account) of a ``same-person`` flag's detail."""
    found = SAME_PERSON_DETAIL.match(detail or "")
    return (found.group(1), found.group(2)) if found else None


def same_person_question(flags: list[Flag] | None) -> SamePerson | None:
    for f in flags or []:
        if f.get("code") == SAME_PERSON and (parts := same_person_parts(f.get("detail", ""))):
            return SamePerson(parts[0], parts[1], f["detail"].partition("? ")[2])
    return None


def _by_name(new: Work, match: Match) -> Verdict:
    """Without people: the same account, or the same handle or name on another platform."""
    same = dedup.same_author(new, match.work)
    return Verdict("same" if same else "no", 1.0 if same else 0.0, "")


def _copy_flag(kind: str, original: str, score: float) -> Flag:
    if kind == "media":
        return flag("duplicate-media", f"same photo or video as earlier {original} "
                                       "by another author")
    return flag("possible-copy", f"{score:.0f}% like earlier {original} by another author")


def work_from_row(row: dict[str, Any], text: str, keys: list[str]) -> Work:
    return Work(id=row["id"], key=f"{row['source']}:{row['source_id']}", source=row["source"],
                author_id=row["author_id"] or "",
                author_names=dedup.author_names(row["author_handle"], row["author_name"]),
                created_at=row["created_at"], text=text, duplicate_of=row.get("duplicate_of"),
                keys=keys, handle=row["author_handle"] or "", name=row["author_name"] or "")
