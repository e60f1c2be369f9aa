"""Where participants' contact data is read for people: admins' post page and ``cqf draw``."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine

from cqfriends.store.db import session_scope
from cqfriends.store.models import UploadRow
from cqfriends.store.uploads import contacts_of_participants, contacts_of_posts


def contact_for_admin(*, engine: Engine, post: Any, user: Any) -> UploadRow | None:
    """An upload's row (e-mail, address, consent) when ``user`` is an admin; else None."""
    if getattr(user, "role", None) != "admin" or post.source != "upload" or post.id is None:
        return None
    with session_scope(engine) as session:
        found = contacts_of_posts(session=session, post_ids=[post.id]).get(post.id)
        if found is not None:
            session.expunge(found)
        return found


def winner_contacts(*, engine: Engine, entries: list[str]) -> dict[str, str]:
    """How to reach drawn winners that uploaded: entry ``upload:<participant>`` -> e-mail."""
    wanted = [e.partition(":")[2] for e in entries if e.startswith("upload:")]
    with session_scope(engine) as session:
        found = contacts_of_participants(session=session, participants=wanted)
    return {f"upload:{p}": f"e-mail: {email}" for p, email in found.items()}
