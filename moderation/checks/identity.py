"""Same person on two platforms? A score from the work they posted and their names (pure).

Evidence is one pair of posts on two platforms within ``dedup.cross_post_hours``:
close captions (the rapidfuzz score dedup already computed), the same picture (an
identical media link, or perceptual hashes from the media archive within
``PHASH_BITS`` bits), and how alike the accounts' names are after folding (names.py).
``judge`` turns that into a verdict:

- ``same``: strong evidence: the accounts are linked and the post folds as a cross-post
  (a name at least ``SAME_NAME`` alike folds at any distance in time, as an identical
  name always has; a bare screen name folds with the same caption and picture);
- ``ask``: weaker evidence: the moderator sees "same person?" with confirm / split;
- ``no``: another person, as today (``possible-copy`` / ``duplicate-media``).

A moderator's answer for the two accounts always wins over the score.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

LINK = 0.65  # at or above: link and fold automatically
ASK = 0.45  # at or above: ask the moderator
PHASH_BITS = 6  # of 64: the same photo re-encoded, resized or lightly cropped
SAME_NAME = 0.87  # every part of one name in the other, surname whole: titles, spellings aside
GIVEN_NAME = 0.6  # a shared given name and nothing clashing ("Mei in CQ" for "Mei Tan")
NEAR_IDENTICAL = 95  # caption score: the same caption, its tags moved or an emoji added


@dataclass(frozen=True, slots=True)
class Evidence:
    """What two posts of two accounts on two platforms share."""

    text_score: float  # rapidfuzz ratio of the cleaned captions, 0 if not close
    same_media: bool  # an identical media link or video id
    close_picture: bool  # perceptual hashes within PHASH_BITS
    names: float  # names.name_similarity, 0..1
    hours_apart: float
    screen_name: bool = False  # one account shows only a screen name (names.screen_name_only)


@dataclass(frozen=True, slots=True)
class Verdict:
    kind: str  # "same", "ask" or "no"
    score: float
    why: str


def phash_distance(a: str | None, b: str | None) -> int | None:
    """Hamming distance of two hex perceptual hashes (None if either is missing or bad)."""
    if not a or not b or len(a) != len(b):
        return None
    try:
        return (int(a, 16) ^ int(b, 16)).bit_count()
    except ValueError:
        return None


def close_pictures(a: list[str], b: list[str]) -> bool:
    """Whether any perceptual hash of one post is within PHASH_BITS of one of the other's."""
    return any((d := phash_distance(x, y)) is not None and d <= PHASH_BITS for x in a for y in b)


def hours_between(a: datetime, b: datetime) -> float:
    return abs((a - b) / timedelta(hours=1))


def score(ev: Evidence, *, threshold: float) -> float:
    """0..1: the work's weight (text beyond the dedup threshold, the picture) plus the names'."""
    text = 0.0
    if ev.text_score >= threshold:
        text = 0.25 + 0.15 * (ev.text_score - threshold) / max(100 - threshold, 1)
    picture = 0.3 if ev.same_media or ev.close_picture else 0.0
    work = min(text + picture, 0.55)
    return round(min(work + 0.5 * ev.names, 0.99), 3)  # 1.0: a known link


def judge(ev: Evidence, *, threshold: float, cross_post_hours: float,
          answer: str | None = None) -> Verdict:
    """The verdict for one pair; ``answer`` is a moderator's earlier "same"/"different"."""
    if answer == "same":
        return Verdict("same", 1.0, "confirmed by a moderator")
    if answer == "different":
        return Verdict("no", 0.0, "split by a moderator")
    value = score(ev, threshold=threshold)
    why = _why(ev)
    picture = ev.same_media or ev.close_picture
    if ev.hours_apart > cross_post_hours:
        # As an identical name always has, the same name written another way ("Dr. Mei
        # Tan", "MEI LIN TAN") folds the same work at any distance; weaker names do not.
        if ev.names >= SAME_NAME and (ev.text_score >= threshold or picture):
            return Verdict("same", value, f"{why}; the same name")
        return Verdict("no", 0.0, f"more than {cross_post_hours:g} h apart")
    if value >= LINK and (ev.names >= 0.8 or (picture and ev.names >= GIVEN_NAME)):
        return Verdict("same", value, why)
    if ev.screen_name and not ev.names and picture and ev.text_score >= NEAR_IDENTICAL:
        # A screen name says nothing of who is behind it; the same caption and the same
        # picture on another platform within hours is the same work, posted again by its
        # author.  (A copy by another person comes days later, or with other media.)
        return Verdict("same", max(value, LINK), f"{why}; a screen name")
    if value >= ASK and (ev.names >= 0.25 or (ev.text_score and picture)):
        return Verdict("ask", value, why)
    return Verdict("no", value, why)


def _why(ev: Evidence) -> str:
    parts = []
    if ev.text_score:
        parts.append(f"caption {ev.text_score:.0f}% alike")
    if ev.same_media:
        parts.append("same media link")
    elif ev.close_picture:
        parts.append("same picture")
    parts.append(f"names {ev.names:.2f} alike")
    parts.append(f"{ev.hours_apart:.0f} h apart")
    return ", ".join(parts)
