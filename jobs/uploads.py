"""The daily tidy-up of participants' uploads: contact data past its retention, stale transfers."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from cqfriends.settings import Settings
from cqfriends.store.models import utcnow
from cqfriends.uploads.tus import folder, sweep
from cqfriends.uploads.withdraw import purge_contacts


def tidy_uploads(*, engine: Engine, settings: Settings) -> str:
    cleared = purge_contacts(engine=engine, settings=settings, now=utcnow())
    expired = sweep(folder(Path(settings.uploads.spool_dir)))
    return f"contact data of {cleared} uploads deleted; {expired} unfinished transfers expired"
