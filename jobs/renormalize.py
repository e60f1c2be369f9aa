"""``cqf renormalize``: every stored post mapped again from its raw payload.

After a mapping fix (a column the normalizer used to miss, a better link), the
posts already stored get the fix without re-importing: each ``raw`` payload goes
through today's normalizer, and the content, metrics, time and author id that
differ are written.  Moderation state is kept.  A post whose payload now maps to
another key (another source or id) is left as it is and reported: re-import its file.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from cqfriends.errors import CqfError
from cqfriends.normalize import normalize_stored
from cqfriends.normalize.post import NormalizeOptions
from cqfriends.settings import Settings
from cqfriends.store.db import session_scope
from cqfriends.store.ingest import normalize_options
from cqfriends.store.posts import post_values
from cqfriends.store.remap import REMAPPED_COLUMNS, stored_payloads, update_remapped

log = logging.getLogger(__name__)
MAX_PROBLEMS_KEPT = 100


@dataclass
class RemapSummary:
    read: int = 0
    changed: int = 0
    unchanged: int = 0
    failed: int = 0
    problems: list[str] = field(default_factory=list)

    def fail(self, key: str, reason: str) -> None:
        self.failed += 1
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append(f"{key}: {reason}")

    def line(self) -> str:
        return (f"read {self.read}, changed {self.changed}, unchanged {self.unchanged}, "
                f"failed {self.failed}")


def renormalize_posts(*, engine: Engine, settings: Settings, source: str | None = None
                      ) -> RemapSummary:
    """Re-map every stored post (of ``source``); one transaction per page of 500."""
    summary = RemapSummary()
    options = normalize_options(settings)
    after = 0
    while True:
        with session_scope(engine, write=True) as session:
            page = stored_payloads(session=session, source=source, after_id=after)
            for row in page:
                _remap_one(row, session, options, summary)
        if not page:
            return summary
        after = page[-1]["id"]


def _remap_one(row: dict[str, Any], session: Session, options: NormalizeOptions,
               summary: RemapSummary) -> None:
    key = f"{row['source']}:{row['source_id']}"
    summary.read += 1
    try:
        post = normalize_stored(row["source"], row["raw"], collected_at=row["collected_at"],
                                options=options)
    except CqfError as e:
        summary.fail(key, str(e))
        return
    except Exception as e:  # noqa: BLE001 - one payload's surprise must not stop the rest
        summary.fail(key, f"{type(e).__name__}: {str(e)[:200]}")
        return
    if (post.source, post.source_id) != (row["source"], row["source_id"]):
        summary.fail(key, f"now maps to {post.key}; re-import its file to store it so")
        return
    values = post_values(post)
    changes = {c: values[c] for c in REMAPPED_COLUMNS if c in values and values[c] != row[c]}
    changes.pop("collected_at", None)
    if not changes:
        summary.unchanged += 1
        return
    update_remapped(session=session, post_id=row["id"], changes=changes)
    summary.changed += 1
