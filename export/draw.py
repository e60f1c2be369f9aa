"""The souvenir draw: N winners among distinct authors of approved works.

One entry per person: ``source:author_id`` for an account of its own, and the
person's accounts with approved works joined by ``+`` (``facebook:1+twitter:2``) when
accounts are linked to one person (store/identity.py).  Blocked authors (config.yaml
and the console's authors panel, spread to every linked account) and the campaign's
own accounts (``campaign.own_accounts``) are excluded, a person as a whole.  Each
entry's ticket is ``sha256("SEED:ENTRY")``; the N lowest tickets win.  Anyone
holding the published seed and the entry list can recompute the result with any
SHA-256 tool, and the order the database returns rows in does not matter.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy.engine import Engine

from cqfriends.errors import BadInput
from cqfriends.settings import Settings
from cqfriends.store.audit import add_audit_entry
from cqfriends.store.authors import author_rule_keys
from cqfriends.store.db import session_scope
from cqfriends.store.exports import approved_authors
from cqfriends.store.identity import linked_keys, persons_of


def ticket(seed: str, entry: str) -> str:
    return hashlib.sha256(f"{seed}:{entry}".encode()).hexdigest()


def pick_winners(entries: list[str], n: int, seed: str) -> list[str]:
    """The ``n`` entries with the lowest tickets (pure and reproducible)."""
    return sorted(set(entries), key=lambda e: (ticket(seed, e), e))[:n]


def is_blocked(source: str, author_id: str, handle: str, blocked: set[str]) -> bool:
    """Whether the account is in ``blocked`` (lower-case ``source:id`` / ``source:@handle``)."""
    keys = {f"{source}:{author_id}".lower(), f"{source}:@{handle.lstrip('@')}".lower()}
    return bool(keys & blocked)


def person_entries(authors: list[tuple[str, str, str, str]], people: dict[tuple[str, str], int]
                   ) -> dict[tuple[str, str], str]:
    """The entry of each (source, author_id): its own, or its person's accounts joined."""
    accounts: dict[int, list[str]] = {}
    for source, author_id, _, _ in authors:
        if (pid := people.get((source, author_id))) is not None:
            accounts.setdefault(pid, []).append(f"{source}:{author_id}")
    return {(s, a): "+".join(sorted(accounts[people[(s, a)]])) if (s, a) in people
            else f"{s}:{a}" for s, a, _, _ in authors}


def run_draw(*, engine: Engine, settings: Settings, n: int, seed: str,
             section: str | None = None, actor: str = "cli") -> dict[str, Any]:
    """Draw, record it in the audit log, and return what was drawn."""
    if n < 1:
        raise BadInput("--n must be at least 1")
    if not seed:
        raise BadInput("--seed must not be empty (publish it before the draw)")
    if section and section not in settings.campaign.section_ids():
        raise BadInput(f"unknown section {section!r} (known: "
                       f"{', '.join(settings.campaign.section_ids())})")
    with session_scope(engine, write=True) as session:
        stored, _ = author_rule_keys(session=session)
        excluded = {b.lower() for b in linked_keys(session=session, keys={
            *settings.rules.blocked_authors, *stored, *settings.campaign.own_accounts})}
        authors = approved_authors(session=session, section=section)
        people = persons_of(session=session, accounts=[(s, a) for s, a, _, _ in authors])
        entry_of = person_entries(authors, people)
        who = {entry_of[(s, a)]: (h, name) for s, a, h, name in reversed(authors)}
        out = {entry_of[(s, a)] for s, a, h, _ in authors if is_blocked(s, a, h, excluded)}
        entries = sorted({entry_of[(s, a)] for s, a, _, _ in authors} - out)
        winners = pick_winners(entries, n, seed)
        result = {
            "seed": seed, "n": n, "section": section, "entries": len(entries),
            "entries_sha256": hashlib.sha256("\n".join(entries).encode()).hexdigest(),
            "winners": [{"entry": w, "handle": who[w][0], "name": who[w][1],
                         "ticket": ticket(seed, w)} for w in winners],
        }
        add_audit_entry(session=session, actor=actor, action="draw", section=section,
                        detail=result)
    return result
