"""The souvenir draw: N winners among distinct authors of approved works.

One entry per author (``source:author_id``), blocked authors excluded.  Each
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
from cqfriends.store.db import session_scope
from cqfriends.store.exports import approved_authors


def ticket(seed: str, entry: str) -> str:
    return hashlib.sha256(f"{seed}:{entry}".encode()).hexdigest()


def pick_winners(entries: list[str], n: int, seed: str) -> list[str]:
    """The ``n`` entries with the lowest tickets (pure and reproducible)."""
    return sorted(set(entries), key=lambda e: (ticket(seed, e), e))[:n]


def is_blocked(source: str, author_id: str, handle: str, blocked: set[str]) -> bool:
    keys = {f"{source}:{author_id}".lower(), f"{source}:@{handle}".lower()}
    return bool(keys & blocked)


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
    blocked = {b.lower() for b in settings.rules.blocked_authors}
    with session_scope(engine, write=True) as session:
        authors = approved_authors(session=session, section=section)
        handles = {f"{s}:{a}": h for s, a, h in authors}
        entries = sorted(f"{s}:{a}" for s, a, h in authors if not is_blocked(s, a, h, blocked))
        winners = pick_winners(entries, n, seed)
        result = {
            "seed": seed, "n": n, "section": section, "entries": len(entries),
            "entries_sha256": hashlib.sha256("\n".join(entries).encode()).hexdigest(),
            "winners": [{"entry": w, "handle": handles.get(w, ""), "ticket": ticket(seed, w)}
                        for w in winners],
        }
        add_audit_entry(session=session, actor=actor, action="draw", section=section,
                        detail=result)
    return result
