import threading
import time

import sqlalchemy as sa

from cqfriends.store.db import session_scope
from cqfriends.store.exports import (
    PostFilter,
    current_change_seq,
    iter_approved,
    list_changes,
    page_approved,
)
from cqfriends.store.models import PostRow
from cqfriends.store.posts import upsert_posts
from tests.factories import make_post


def add(engine, n, **state):
    posts = [make_post() for _ in range(n)]
    with session_scope(engine) as session:
        upsert_posts(session=session, posts=posts)
        if state:
            session.execute(sa.update(PostRow).where(
                PostRow.source_id.in_([p.source_id for p in posts])).values(**state))
    return [p.source_id for p in posts]


def set_status(engine, source_id, status, hold=0.0):
    with session_scope(engine) as session:
        session.execute(sa.update(PostRow).where(PostRow.source_id == source_id)
                        .values(status=status))
        time.sleep(hold)  # keep the change number a moment before committing


def test_change_numbers_follow_approvals_edits_and_takedowns_only(engine):
    (a,) = add(engine, 1)
    with session_scope(engine) as session:
        assert current_change_seq(session=session) == 0
    set_status(engine, a, "pending")  # not an export change
    set_status(engine, a, "approved")
    with session_scope(engine) as session:
        session.execute(sa.update(PostRow).values(likes=99))  # metrics: not a change
        (row,) = list_changes(session=session)
        first = row.change_seq
    set_status(engine, a, "removed")
    with session_scope(engine) as session:
        (row,) = list_changes(session=session, after_seq=first)
        assert row.status == "removed" and row.change_seq == first + 1
        assert current_change_seq(session=session) == first + 1


def test_a_change_cursor_never_skips_a_concurrent_commit(engine):
    ids = add(engine, 40, status="pending")
    chunks = [ids[i::4] for i in range(4)]
    threads = [threading.Thread(target=lambda c=c: [set_status(engine, i, "approved", 0.004)
                                                    for i in c]) for c in chunks]
    for t in threads:
        t.start()
    seen, cursor = [], 0
    while True:
        busy = any(t.is_alive() for t in threads)
        with session_scope(engine) as session:
            rows = list_changes(session=session, after_seq=cursor, limit=3)
        seen += [r.source_id for r in rows]
        cursor = rows[-1].change_seq if rows else cursor
        if not rows and not busy:
            break
    assert sorted(seen) == sorted(ids)  # every approval exactly once: no gap, no repeat


def test_pages_filter_and_stream_in_id_order(engine):
    add(engine, 5, status="approved", section="mobile")
    add(engine, 2, status="approved", section="professional", featured=True)
    add(engine, 3, status="rejected", section="mobile")
    with session_scope(engine) as session:
        first = page_approved(session=session, limit=4)
        rest = page_approved(session=session, after_id=first[-1].id, limit=4)
        assert len(first) == 4 and len(rest) == 3
        assert [r.id for r in first + rest] == sorted(r.id for r in first + rest)
        assert len(page_approved(session=session, filters=PostFilter(featured=True))) == 2
        assert len(page_approved(session=session, filters=PostFilter(section="mobile"))) == 5
        assert len(list(iter_approved(session=session, batch=2))) == 7
