"""``run_checks``: language, duplicate and rule checks over unchecked posts, batch by batch.

Each batch is one transaction: posts get lang, flags, duplicate_of, status and
checked_at; their dedup keys and new language-cache entries are stored with
them, so an interrupted run resumes where it stopped.  ``recheck=True`` then
re-evaluates language and rule flags of every checked post (after a config
change) and never undoes a moderator's decision.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from cqfriends.moderation.checks.batch import Checker
from cqfriends.settings import Settings
from cqfriends.store.checks import (
    load_posts,
    prepare_session,
    refresh_statistics,
    save_results,
)
from cqfriends.store.db import session_scope
from cqfriends.store.identity import people_rules

log = logging.getLogger(__name__)
BATCH_SIZE = 2000


@dataclass
class CheckSummary:
    checked: int = 0
    pending: int = 0
    duplicate: int = 0
    rejected: int = 0
    approved: int = 0
    rechecked: int = 0
    flagged: Counter[str] = field(default_factory=Counter)

    def add(self, results: list[dict[str, Any]], *, recheck: bool = False) -> None:
        if recheck:
            self.rechecked += len(results)
            return
        self.checked += len(results)
        for row in results:
            status = row.get("status")
            if status in ("pending", "duplicate", "rejected", "approved"):
                setattr(self, status, getattr(self, status) + 1)
            self.flagged.update({f["code"] for f in row["flags"]})

    def line(self) -> str:
        text = (f"checked {self.checked}: pending {self.pending}, duplicate {self.duplicate}, "
                f"rejected {self.rejected}, approved {self.approved}")
        if self.rechecked:
            text += f"; rechecked {self.rechecked}"
        if self.flagged:
            text += "; flags: " + ", ".join(f"{c} {n}" for c, n in sorted(self.flagged.items()))
        return text


def run_checks(
    *, engine: Engine, settings: Settings, recheck: bool = False,
    on_progress: Callable[[int], None] | None = None, batch_size: int = BATCH_SIZE,
    stop: threading.Event | None = None, pool: Any = None,
) -> CheckSummary:
    """Check every post with checked_at NULL; with ``recheck`` also refresh all others' flags.

    ``stop`` ends the run after the batch in hand (the rest is checked next time);
    ``pool`` is a language-detection pool the caller opened (and closes).
    """
    summary = CheckSummary()
    with session_scope(engine) as session:
        author_rules = people_rules(session=session)  # blocked/trusted from the console
    with Checker(settings, author_rules, pool) as checker:
        _run(engine, checker, summary, on_progress, batch_size, recheck=False, stop=stop)
        if recheck:
            _run(engine, checker, summary, on_progress, batch_size, recheck=True, stop=stop)
    log.info("checks: %s", summary.line())
    return summary


def _run(engine: Engine, checker: Checker, summary: CheckSummary,
         on_progress: Callable[[int], None] | None, batch_size: int, *, recheck: bool,
         stop: threading.Event | None = None) -> None:
    after_id = 0
    while stop is None or not stop.is_set():
        # A write from the start: on SQLite a read-then-write transaction would fail with
        # "database is locked" whenever another writer (the heartbeat) committed meanwhile.
        with session_scope(engine, write=True) as session:
            prepare_session(session=session)
            posts = load_posts(session=session, after_id=after_id, limit=batch_size,
                               unchecked=not recheck)
            if not posts:
                return
            if after_id == 0 and len(posts) == batch_size and not recheck:
                refresh_statistics(session=session)  # a bulk import waits: plan for it
            if recheck:
                results = checker.recheck_batch(session, posts)
            else:
                results = checker.check_batch(session, posts)
            save_results(session=session, results=results)
        after_id = posts[-1]["id"]
        ids = {p["id"] for p in posts}
        summary.add([r for r in results if r["id"] in ids], recheck=recheck)
        if on_progress:
            on_progress(len(posts))
