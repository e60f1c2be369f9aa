"""A takedown removes the work's files from the archive at once (folder or bucket alike).

``moderation.decisions.decide`` calls ``remove_post_media`` right after a
takedown is committed.  A file is deleted unless a post that was not taken
down holds the very same bytes (another work's copy stays that work's until it
is taken down too).  Files go first, rows are marked ``removed`` after: if the
store fails, the rows stay as they were and the media job sweeps them again
(``sweep_takedowns``).  No platform is contacted.
"""

from __future__ import annotations

import logging

from sqlalchemy.engine import Engine

from cqfriends.media.storage import MediaStore, derived_key, open_store, original_key
from cqfriends.settings import Settings
from cqfriends.store.db import session_scope
from cqfriends.store.media import (
    release_post_media,
    removed_posts_with_media,
    rows_for_posts,
    sha_in_use,
)

log = logging.getLogger(__name__)
DERIVED_NAMES = (("display", "jpg"), ("thumb", "webp"), ("poster", "jpg"))


def files_of(sha256: str) -> list[str]:
    """Every key the archive may hold for the content ``sha256``."""
    return [original_key(sha256)] + [derived_key(sha256, n, e) for n, e in DERIVED_NAMES]


def remove_post_media(*, engine: Engine, settings: Settings, post_id: int,
                      store: MediaStore | None = None) -> int:
    """Delete the files of a taken-down post; how many files were deleted."""
    store = store or open_store(settings)
    with session_scope(engine) as session:
        rows = rows_for_posts(session=session, post_ids=[post_id]).get(post_id, [])
        hashes = sorted({r.sha256 for r in rows if r.sha256})
        doomed = [sha for sha in hashes if not sha_in_use(session=session, sha256=sha)]
    deleted = store.delete([key for sha in doomed for key in files_of(sha)])
    with session_scope(engine, write=True) as session:
        release_post_media(session=session, post_id=post_id)
    if rows:
        log.info("takedown: post %d: %d archived files deleted (%d kept: another work holds "
                 "them)", post_id, deleted, len(hashes) - len(doomed))
    return deleted


def sweep_takedowns(*, engine: Engine, settings: Settings, store: MediaStore) -> int:
    """Finish takedowns whose files could not be deleted at the time; posts done."""
    with session_scope(engine) as session:
        pending = removed_posts_with_media(session=session)
    for post_id in pending:
        remove_post_media(engine=engine, settings=settings, post_id=post_id, store=store)
    return len(pending)
