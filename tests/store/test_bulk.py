"""Rows through the driver (store/bulk.py) are the rows SQLAlchemy itself writes and reads."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col, select

from cqfriends.store import bulk
from cqfriends.store.checks import (
    CHECK_COLUMNS,
    add_keys,
    find_keys,
    load_posts,
    load_works,
    refresh_statistics,
    save_results,
)
from cqfriends.store.db import session_scope
from cqfriends.store.identity import link_accounts, persons_of
from cqfriends.store.models import Person, PersonAccount, PostRow
from cqfriends.store.posts import upsert_posts
from tests.factories import make_post


def _store(engine, count=3):
    posts = [make_post(text=f"Hot pot night {i} — 火锅 ✨ #ChongqingFriends") for i in range(count)]
    with session_scope(engine) as session:
        upsert_posts(session=session, posts=posts)
    return posts


def test_the_batch_read_is_what_sqlalchemy_reads(engine):
    _store(engine)
    with session_scope(engine) as session:
        fast = load_posts(session=session, after_id=0, limit=10)
        orm = [dict(r) for r in session.execute(
            sa.select(*(getattr(PostRow, c) for c in CHECK_COLUMNS)).order_by(
                col(PostRow.id))).mappings()]
    assert fast == orm
    assert fast[0]["created_at"].tzinfo is not None and isinstance(fast[0]["media"], list)


def test_results_written_through_the_driver_read_back_through_the_orm(engine):
    _store(engine)
    checked = datetime(2026, 11, 1, 8, 30, 15, 123456, tzinfo=UTC)
    with session_scope(engine) as session:
        ids = [p["id"] for p in load_posts(session=session, after_id=0, limit=10)]
        save_results(session=session, results=[
            {"id": i, "status": "pending", "lang": "zh", "lang_confidence": 0.875,
             "flags": [{"code": "cross-post", "detail": f"also on Douyin: douyin:{i} “引号”"}],
             "checked_at": checked + timedelta(seconds=i)} for i in ids])
    with session_scope(engine) as session:
        rows = session.exec(select(PostRow).order_by(col(PostRow.id))).all()
    for i, row in zip(ids, rows, strict=True):
        assert (row.status, row.lang, row.lang_confidence) == ("pending", "zh", 0.875)
        assert row.flags == [{"code": "cross-post", "detail": f"also on Douyin: douyin:{i} “引号”"}]
        assert row.checked_at == checked + timedelta(seconds=i)
    with session_scope(engine) as session:  # and left unconverted for the caller
        rows = [{"_id": ids[0], "status": "approved"}]
        stmt = sa.update(PostRow).where(col(PostRow.id) == sa.bindparam("_id")).values(
            status=sa.bindparam("status"))
        bulk.executemany(session.connection(), PostRow.__table__, stmt, rows)
        assert rows == [{"_id": ids[0], "status": "approved"}]


def test_many_keys_are_found_in_one_pass_of_chunks(engine):
    _store(engine, count=2)
    with session_scope(engine) as session:
        a, b = (p["id"] for p in load_posts(session=session, after_id=0, limit=10))
        keys = [f"t{n}:{n:x}.1.2.3" for n in range(12_000)]  # more than one chunk anywhere
        add_keys(session=session, rows=[(k, b) for k in keys] + [(keys[0], a), ("m:ab'c", a)])
    with session_scope(engine) as session:
        found = find_keys(session=session, keys=[*keys, "m:ab'c", "missing"])
        works = load_works(session=session, ids=[b, a, 999_999])
    assert len(found) == 12_001 and found[keys[0]] == [a, b] and found["m:ab'c"] == [a]
    assert "missing" not in found and sorted(works) == [a, b]


def test_links_in_one_call_merge_people_and_add_new_accounts(engine):
    x, fb, dy, ig = ("twitter", "1"), ("facebook", "2"), ("douyin", "3"), ("instagram", "4")
    with session_scope(engine) as session:
        link_accounts(session=session, links=[(x, fb, 0.9)], labels={x: "Mei"}, linked_by="checks")
        link_accounts(session=session, links=[(dy, ig, 0.8)], labels={}, linked_by="checks")
    with session_scope(engine) as session:
        before = persons_of(session=session, accounts=[x, fb, dy, ig])
        tk, tw = ("tiktok", "5"), ("twitter", "6")
        link_accounts(session=session, links=[(tk, tw, 0.7), (tw, x, 0.7), (fb, dy, 0.95)],
                      labels={tk: "Mei T."}, linked_by="checks")
    with session_scope(engine) as session:
        after = persons_of(session=session, accounts=[x, fb, dy, ig, tk, tw])
        people = session.exec(select(Person)).all()
        label = session.exec(select(PersonAccount).where(PersonAccount.source == "tiktok")).one()
    assert len(set(after.values())) == 1 and len(after) == 6 and len(people) == 1
    assert before[x] == before[fb] != before[dy] == before[ig]
    assert after[x] == before[x]  # the stored person is kept, not a new one
    assert (label.label, label.score, label.linked_by) == ("Mei T.", 0.7, "checks")


def test_statistics_are_refreshed_before_a_bulk_check(engine):
    _store(engine, count=5)
    with session_scope(engine) as session:
        refresh_statistics(session=session)
    with engine.connect() as conn:
        if engine.dialect.name != "postgresql":
            return  # SQLite plans without ANALYZE statistics; nothing to refresh
        analyzed = conn.exec_driver_sql(
            "SELECT relname, last_analyze IS NOT NULL FROM pg_stat_user_tables "
            "WHERE relname IN ('post', 'person_account') ORDER BY relname").all()
    assert analyzed == [("person_account", True), ("post", True)]
