"""``People``: who is who in one batch of checks, and the accounts the batch links.

The checks ask ``verdict(new, match)`` for each verified match (dedup.py), in
creation order.  In turn: a moderator's answer for the two accounts; the same
account; accounts already linked to one person (stored, or linked earlier in
this batch); the same handle or display name on another platform (as before);
else, on two platforms within ``dedup.cross_post_hours``, the identity score
(identity.py) of the work they share and their names.  "same" across two
accounts is remembered as a link, written with the batch's results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz
from sqlmodel import Session

from cqfriends.moderation.checks import dedup, identity, names
from cqfriends.moderation.checks.dedup import Match, Work
from cqfriends.settings import Settings
from cqfriends.store import identity as store
from cqfriends.store.identity import Account, answer_pair

SAME_ACCOUNT = identity.Verdict("same", 1.0, "same account")
LINKED = identity.Verdict("same", 1.0, "linked accounts")
SAME_NAME = identity.Verdict("same", 1.0, "same name")
OTHER = identity.Verdict("no", 0.0, "another account on the same platform")
Node = tuple[str, str] | tuple[str, int]  # an account, or ("person", id) of a stored person


@lru_cache(maxsize=65536)
def folded_names(handle: str, name: str) -> tuple[names.NameForm, ...]:
    return names.account_names(handle, name)


@dataclass
class People:
    threshold: float
    cross_post_hours: float
    person: dict[Account, int] = field(default_factory=dict)
    answers: dict[tuple[str, str], str] = field(default_factory=dict)
    phashes: dict[int, list[str]] = field(default_factory=dict)
    parent: dict[Node, Node] = field(default_factory=dict)  # links made in this batch
    links: list[tuple[Account, Account, float]] = field(default_factory=list)
    labels: dict[Account, str] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, settings: Settings, works: list[Work]) -> People:
        """What the stored links, answers and the archive's picture hashes say of ``works``."""
        accounts = {w.account for w in works if w.account[1]}
        return cls(threshold=settings.dedup.threshold,
                   cross_post_hours=settings.dedup.cross_post_hours,
                   person=store.persons_of(session=session, accounts=accounts),
                   answers=store.answers_for(session=session, accounts=accounts),
                   phashes=store.phashes_of(session=session, post_ids={w.id for w in works}))

    def verdict(self, new: Work, match: Match) -> identity.Verdict:
        other = match.work
        a, b = new.account, other.account
        if a == b and a[1]:
            return SAME_ACCOUNT
        if not a[1] or not b[1]:
            return OTHER if new.source == other.source else identity.Verdict("no", 0.0, "")
        answer = self.answers.get(answer_pair(a, b))
        if answer is None and self._root(a) == self._root(b):
            return LINKED
        if answer is None and new.source != other.source and new.author_names & other.author_names:
            return self._linked(new, other, SAME_NAME)
        if answer is None and new.source == other.source:
            return OTHER
        found = identity.judge(self._evidence(new, match), threshold=self.threshold,
                               cross_post_hours=self.cross_post_hours, answer=answer)
        return self._linked(new, other, found) if found.kind == "same" else found

    def new_links(self) -> list[tuple[Account, Account, float]]:
        return self.links

    # -- pieces -------------------------------------------------------------------------
    def _evidence(self, new: Work, match: Match) -> identity.Evidence:
        other = match.work
        mine, theirs = folded_names(new.handle, new.name), folded_names(other.handle, other.name)
        text = match.score if match.kind == "text" else fuzz.ratio(
            new.text, other.text, score_cutoff=self.threshold)
        return identity.Evidence(
            text_score=text or 0.0, same_media=match.kind == "media",
            close_picture=identity.close_pictures(self.phashes.get(new.id, []),
                                                  self.phashes.get(other.id, [])),
            names=names.name_similarity(mine, theirs),
            hours_apart=identity.hours_between(new.created_at, other.created_at),
            screen_name=names.screen_name_only(mine) or names.screen_name_only(theirs))

    def _root(self, account: Account) -> Node:
        node: Node = ("person", self.person[account]) if account in self.person else account
        while node in self.parent:
            node = self.parent[node]
        return node

    def _linked(self, new: Work, other: Work, found: identity.Verdict) -> identity.Verdict:
        a, b = new.account, other.account
        ra, rb = self._root(a), self._root(b)
        if ra != rb:
            self.parent[ra] = rb
            self.links.append((a, b, found.score))
            for work in (new, other):
                self.labels[work.account] = label_of(work)
        return found


def label_of(work: Work) -> str:
    handle = f" @{work.handle.lstrip('@')}" if work.handle else ""
    return f"{work.name}{handle}".strip()


def platform_of(key: str) -> str:
    return dedup.platform(key.partition(":")[0])
