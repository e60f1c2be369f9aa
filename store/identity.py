"""People behind accounts: links (person_account), moderators' answers (identity_answer).

An account is ``source:key`` where key is the author id, or ``@handle`` without one
(store.authors.author_key).  ``link_accounts`` merges people: two accounts found to
be one person end up with one person id, with every account either had before.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from cqfriends.store.authors import author_rule_keys
from cqfriends.store.models import IdentityAnswer, MediaItem, Person, PersonAccount, utcnow

CHUNK = 500
Account = tuple[str, str]  # (source, author key)


def account_text(account: Account) -> str:
    return f"{account[0]}:{account[1]}"


def answer_pair(a: Account, b: Account) -> tuple[str, str]:
    x, y = sorted((account_text(a), account_text(b)))
    return x, y


def persons_of(*, session: Session, accounts: Iterable[Account]) -> dict[Account, int]:
    """The person id of each given account that is linked to one."""
    wanted = set(accounts)
    found: dict[Account, int] = {}
    keys = sorted({k for _, k in wanted})
    for start in range(0, len(keys), CHUNK):
        stmt = sa.select(col(PersonAccount.source), col(PersonAccount.author_key),
                         col(PersonAccount.person_id)).where(
            col(PersonAccount.author_key).in_(keys[start:start + CHUNK]))
        found.update(((s, k), p) for s, k, p in session.execute(stmt) if (s, k) in wanted)
    return found


def accounts_of(*, session: Session, person_ids: Iterable[int]) -> dict[int, list[PersonAccount]]:
    """Every linked account of these people."""
    ids = sorted(set(person_ids))
    out: dict[int, list[PersonAccount]] = {}
    for start in range(0, len(ids), CHUNK):
        query = select(PersonAccount).where(col(PersonAccount.person_id).in_(
            ids[start:start + CHUNK])).order_by(col(PersonAccount.id))
        for row in session.exec(query):
            out.setdefault(row.person_id, []).append(row)
    return out


def all_person_keys(*, session: Session) -> dict[Account, str]:
    """``person:<id>`` of every linked account (draws and reports count people)."""
    stmt = sa.select(col(PersonAccount.source), col(PersonAccount.author_key),
                     col(PersonAccount.person_id))
    return {(s, k): f"person:{p}" for s, k, p in session.execute(stmt)}


def answers_for(*, session: Session, accounts: Iterable[Account]) -> dict[tuple[str, str], str]:
    """Moderators' answers (same / different) between any of these accounts and another."""
    texts = sorted({account_text(a) for a in accounts})
    out: dict[tuple[str, str], str] = {}
    for start in range(0, len(texts), CHUNK):
        part = texts[start:start + CHUNK]
        stmt = sa.select(col(IdentityAnswer.account_a), col(IdentityAnswer.account_b),
                         col(IdentityAnswer.answer)).where(sa.or_(
            col(IdentityAnswer.account_a).in_(part), col(IdentityAnswer.account_b).in_(part)))
        out.update(((a, b), answer) for a, b, answer in session.execute(stmt))
    return out


def put_answer(*, session: Session, a: Account, b: Account, answer: str, actor: str
               ) -> str | None:
    """Remember a moderator's answer for two accounts; returns the answer it replaced."""
    x, y = answer_pair(a, b)
    row = session.exec(select(IdentityAnswer).where(IdentityAnswer.account_a == x,
                                                    IdentityAnswer.account_b == y)).first()
    previous = row.answer if row else None
    row = row or IdentityAnswer(account_a=x, account_b=y, answer=answer, actor=actor, at=utcnow())
    row.answer, row.actor, row.at = answer, actor, utcnow()
    session.add(row)
    session.flush()
    return previous


def link_accounts(*, session: Session, links: Iterable[tuple[Account, Account, float]],
                  labels: dict[Account, str], linked_by: str) -> None:
    """Make each pair one person (merging people already linked to either side).

    The links are planned in memory (new people get a placeholder id below zero) and
    written in bulk: one insert of the new people, one of the new accounts, and an
    update per merge of two stored people (rare: a link joins two known groups).
    """
    links = list(links)
    accounts = {acct for a, b, _ in links for acct in (a, b)}
    stored = persons_of(session=session, accounts=accounts)
    person = dict(stored)
    fresh: dict[Account, float] = {}  # accounts to add, with the score that linked them
    merged: list[tuple[int, int]] = []  # (stored person kept, stored person merged into it)
    placeholders = 0
    for a, b, score in links:
        pa, pb = person.get(a), person.get(b)
        if pa is not None and pa == pb:
            continue
        if pa is None and pb is None:
            placeholders += 1
            pa = -placeholders
        elif pa is None:
            pa, a, b = pb, b, a  # the linked side keeps its person
        elif pb is not None:  # two people are one: a stored one is kept
            keep, gone = (pb, pa) if pa < 0 <= pb else (pa, pb)
            if gone >= 0:
                merged.append((keep, gone))
            person.update({k: keep for k, v in person.items() if v == gone})
            continue
        for acct in (a, b):
            if person.get(acct) != pa:
                person[acct] = pa
                fresh.setdefault(acct, score)
    now = utcnow()
    for keep, gone in merged:
        session.execute(sa.update(PersonAccount).where(
            col(PersonAccount.person_id) == gone).values(person_id=keep))
        session.execute(sa.delete(Person).where(col(Person.id) == gone))
    wanted = sorted({person[acct] for acct in fresh if person[acct] < 0}, reverse=True)
    real = dict(zip(wanted, _new_people(session, len(wanted), now), strict=True))
    rows = [{"person_id": real.get(person[acct], person[acct]), "source": acct[0],
             "author_key": acct[1], "label": labels.get(acct, "")[:300],
             "linked_by": linked_by[:64], "score": score, "linked_at": now}
            for acct, score in fresh.items() if acct not in stored]
    if rows:
        session.execute(sa.insert(PersonAccount), rows)


def _new_people(session: Session, count: int, now: Any) -> list[int]:
    """Ids of ``count`` new people, in creation order."""
    people = [Person(created_at=now) for _ in range(count)]
    session.add_all(people)
    session.flush()
    return [int(p.id or 0) for p in people]


def unlink_account(*, session: Session, account: Account) -> int | None:
    """Take one account out of its person (a person left with one account is dissolved)."""
    row = session.exec(select(PersonAccount).where(
        PersonAccount.source == account[0], PersonAccount.author_key == account[1])).first()
    if row is None:
        return None
    person_id = row.person_id
    session.delete(row)
    session.flush()
    rest = session.exec(select(PersonAccount).where(PersonAccount.person_id == person_id)).all()
    if len(rest) <= 1:
        for other in rest:
            session.delete(other)
        session.execute(sa.delete(Person).where(col(Person.id) == person_id))
    return person_id


def list_people(*, session: Session, limit: int = 200) -> list[dict[str, Any]]:
    """People with their accounts, newest link first (the console's author panel)."""
    newest = (sa.select(col(PersonAccount.person_id), sa.func.max(col(PersonAccount.linked_at))
                        .label("at")).group_by(col(PersonAccount.person_id))
              .order_by(sa.desc("at"), col(PersonAccount.person_id)).limit(limit))
    order = [pid for pid, _ in session.execute(newest)]
    accounts = accounts_of(session=session, person_ids=order)
    return [{"id": pid, "accounts": accounts.get(pid, [])} for pid in order]


def linked_keys(*, session: Session, keys: Iterable[str]) -> set[str]:
    """``source:key`` of every account linked to one of ``keys`` (the keys themselves too)."""
    accounts = {(s, k) for s, _, k in (key.partition(":") for key in keys)}
    person = persons_of(session=session, accounts=accounts)
    out = set(keys)
    for rows in accounts_of(session=session, person_ids=set(person.values())).values():
        out.update(f"{r.source}:{r.author_key}" for r in rows)
    return out


def phashes_of(*, session: Session, post_ids: Iterable[int]) -> dict[int, list[str]]:
    """Perceptual hashes the media archive made for these posts' pictures."""
    ids = sorted(set(post_ids))
    out: dict[int, list[str]] = {}
    for start in range(0, len(ids), CHUNK):
        stmt = sa.select(col(MediaItem.post_id), col(MediaItem.phash)).where(
            col(MediaItem.post_id).in_(ids[start:start + CHUNK]), col(MediaItem.phash).is_not(None))
        for post_id, phash in session.execute(stmt):
            out.setdefault(post_id, []).append(phash)
    return out


def linked_accounts(*, session: Session, accounts: Iterable[Account]
                    ) -> dict[Account, list[PersonAccount]]:
    """For each given account linked to a person: every account of that person."""
    person = persons_of(session=session, accounts=accounts)
    rows = accounts_of(session=session, person_ids=set(person.values()))
    return {acct: rows.get(pid, []) for acct, pid in person.items()}


def people_rules(*, session: Session) -> tuple[set[str], set[str]]:
    """The console's rules, spread to every account of the same person (what checks apply)."""
    blocked, trusted = author_rule_keys(session=session)
    return person_rule_keys(session=session, blocked=blocked, trusted=trusted)


def person_rule_keys(*, session: Session, blocked: set[str], trusted: set[str]
                     ) -> tuple[set[str], set[str]]:
    """Rules of accounts spread to every account linked to the same person."""
    return linked_keys(session=session, keys=blocked), linked_keys(session=session, keys=trusted)
