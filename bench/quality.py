"""What the checks found against a corpus's labels: pairs, folds, questions, copies, retweets.

``found_pairs`` reads every stored post: (post, other, how) for a fold
(``duplicate_of``), a copy flag (``possible-copy`` / ``duplicate-media``) and a
"same person?" question (``same-person``).  ``measure`` compares them with the
labels (post, work, kind) of bench/checks_corpus.py.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from cqfriends.store.db import get_engine, session_scope
from cqfriends.store.models import MediaItem, PostRow
from cqfriends.store.posts import list_posts

LINKED = re.compile(r"(?:earlier|same work as) (\S+:\S+?)(?=[ ,]|$)")
FLAGS = {"possible-copy": "copy", "duplicate-media": "copy", "same-person": "ask"}


def store_phashes(session: Session, phashes: dict[str, str]) -> None:
    """The archive's perceptual hashes of the corpus's photos, as media/ would store them."""
    ids = {f"{s}:{sid}": i for s, sid, i in session.execute(
        sa.select(PostRow.source, PostRow.source_id, PostRow.id))}
    rows = [{"post_id": ids[key], "position": 0, "role": "preview", "media_type": "photo",
             "url": f"bench://{key}", "url_hash": hashlib.sha256(key.encode()).hexdigest(),
             "state": "archived", "attempts": 1, "refreshed": False, "derived": {},
             "phash": value} for key, value in phashes.items() if key in ids]
    for start in range(0, len(rows), 5000):
        session.execute(sa.insert(MediaItem), rows[start:start + 5000])


def found_pairs(url: str) -> set[tuple[str, str, str]]:
    pairs = set()
    with session_scope(get_engine(url)) as session:
        for row in list_posts(session=session, batch=5000):
            if row.duplicate_of:
                pairs.add((row.key, row.duplicate_of, "fold"))
            for f in row.flags:
                if f["code"] in FLAGS:
                    pairs.update((row.key, k, FLAGS[f["code"]]) for k in LINKED.findall(
                        f["detail"]) if k != row.key)
            if row.is_repost and row.status == "pending":
                pairs.add((row.key, "", "queued-retweet"))
    return pairs


@dataclass
class Quality:
    cross: int = 0
    cross_joined: int = 0  # true cross-post pairs that ended in one cluster
    folded_right: int = 0
    folded: int = 0
    asked: int = 0
    copies: int = 0
    copies_flagged: int = 0
    retweets: int = 0
    retweets_queued: int = 0

    def line(self) -> str:
        precision = self.folded_right / max(self.folded, 1)
        recall = self.cross_joined / max(self.cross, 1)
        with_asked = (self.cross_joined + self.asked) / max(self.cross, 1)
        copies = self.copies_flagged / max(self.copies, 1)
        return (f"cross-posts: {self.cross} true pairs, folded {self.folded} "
                f"(precision {precision:.4f}, recall {recall:.4f}), asked \"same person?\" "
                f"{self.asked} (recall with them {with_asked:.4f}); copies by others flagged "
                f"{self.copies_flagged}/{self.copies} = {copies:.4f}; retweets queued "
                f"{self.retweets_queued} of {self.retweets}")


def clusters(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Each key's cluster (union-find root) when ``pairs`` join keys."""
    parent: dict[str, str] = {}

    def root(k: str) -> str:
        while parent.get(k, k) != k:
            k = parent[k]
        return k

    seen: set[str] = set()
    for a, b in pairs:
        seen.update((a, b))
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[ra] = rb
    return {k: root(k) for k in seen}


def measure(url: str, labels: list[tuple[str, ...]]) -> Quality:
    """A fold is right when both posts are one work of one person (one labeled cluster:
    two cross-posts of a work fold into each other as well as into it)."""
    found = found_pairs(url)
    truth_of = clusters((x[0], x[1]) for x in labels if x[2] == "cross-post")
    fold_of = clusters((p[0], p[1]) for p in found if p[2] == "fold")
    folds = {frozenset(p[:2]) for p in found if p[2] == "fold"}
    flagged = {frozenset(p[:2]) for p in found if p[2] in ("copy", "ask")}
    asked = {frozenset(p[:2]) for p in found if p[2] == "ask"}
    cross = {frozenset(x[:2]) for x in labels if x[2] == "cross-post"}
    copies = {frozenset(x[:2]) for x in labels if x[2] == "copy"}
    retweets = {x[0] for x in labels if x[2] == "retweet"}
    non_retweet_folds = [tuple(p) for p in folds if not p & retweets]
    right = sum(1 for a, b in non_retweet_folds if a in truth_of and truth_of[a] == truth_of.get(b))
    joined = sum(1 for a, b in (tuple(p) for p in cross) if a in fold_of
                 and fold_of[a] == fold_of.get(b))
    return Quality(
        cross=len(cross), folded_right=right, cross_joined=joined,
        folded=len(non_retweet_folds), asked=len(cross & asked), copies=len(copies),
        copies_flagged=len((copies & flagged) - folds), retweets=len(retweets),
        retweets_queued=sum(1 for p in found if p[2] == "queued-retweet"))
