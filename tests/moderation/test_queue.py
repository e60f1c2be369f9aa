"""The queue: claiming (disjoint, expiring), filters, day counts, concurrency on both backends."""

from __future__ import annotations

import multiprocessing
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from cqfriends.moderation.decisions import Decision, decide
from cqfriends.moderation.queue import claim_batch, day_counts, forget_counts, queue_view
from cqfriends.store.db import get_engine, session_scope
from cqfriends.store.models import AuditEntry, PostRow
from cqfriends.store.posts import upsert_posts
from cqfriends.store.queue import QueueFilter
from cqfriends.store.users import create_user, find_user
from tests.conftest import make_settings
from tests.factories import make_post
from tests.web.sessions import fast_passwords  # noqa: F401


@pytest.fixture
def settings(tmp_path, db_url):
    return make_settings(tmp_path, db_url)


def add_pending(engine, posts, **values):
    with session_scope(engine) as session:
        upsert_posts(session=session, posts=posts)
        session.execute(sa.update(PostRow).values(status="pending", **values))
    return [f"{p.source}:{p.source_id}" for p in posts]


def set_values(engine, key, **values):
    source, _, source_id = key.partition(":")
    with session_scope(engine) as session:
        session.execute(sa.update(PostRow).where(PostRow.source == source,
                                                 PostRow.source_id == source_id).values(**values))


def test_claims_are_disjoint_and_oldest_first(engine, settings):
    base = datetime(2026, 10, 1, tzinfo=UTC)
    keys = add_pending(engine, [make_post(created_at=base + timedelta(hours=i)) for i in range(5)])
    first = claim_batch(engine=engine, settings=settings, user="li", n=2)
    second = claim_batch(engine=engine, settings=settings, user="anna", n=10)
    assert [p.key for p in first] == keys[:2]
    assert [p.key for p in second] == keys[2:]
    assert claim_batch(engine=engine, settings=settings, user="bo", n=10) == []


def test_reopening_keeps_own_claims(engine, settings):
    add_pending(engine, [make_post() for _ in range(3)])
    first = claim_batch(engine=engine, settings=settings, user="li", n=2)
    again = claim_batch(engine=engine, settings=settings, user="li", n=2)
    assert [p.key for p in again] == [p.key for p in first]


def test_expired_claims_are_free_again(engine, settings):
    keys = add_pending(engine, [make_post()])
    claim_batch(engine=engine, settings=settings, user="li", n=1)
    set_values(engine, keys[0], claimed_until=datetime.now(UTC) - timedelta(seconds=1))
    assert [p.key for p in claim_batch(engine=engine, settings=settings, user="anna")] == keys


@pytest.mark.parametrize("where, expected", [
    (QueueFilter(source="facebook"), [1]),
    (QueueFilter(lang="fr"), [2]),
    (QueueFilter(flag="possible-copy"), [0]),
    (QueueFilter(author="@walker"), [1]),
    (QueueFilter(day=date(2026, 10, 2)), [2]),  # 2026-10-01 17:00 UTC is Oct 2 in Chongqing
    (QueueFilter(order="engagement"), [2, 1, 0]),
])
def test_filters(engine, settings, where, expected):
    from cqfriends.normalize.post import Author, Metrics
    posts = [
        make_post(created_at=datetime(2026, 10, 1, 1, tzinfo=UTC)),
        make_post(source="facebook", author=Author(id="77", name="W", handle="walker"),
                  created_at=datetime(2026, 10, 1, 2, tzinfo=UTC), metrics=Metrics(likes=50)),
        make_post(lang="fr", created_at=datetime(2026, 10, 1, 17, tzinfo=UTC),
                  metrics=Metrics(likes=90)),
    ]
    keys = add_pending(engine, posts)
    set_values(engine, keys[0], flags=[{"code": "possible-copy", "detail": keys[1]}])
    set_values(engine, keys[2], lang="fr")
    got = claim_batch(engine=engine, settings=settings, user="li", n=10, where=where)
    assert [p.key for p in got] == [keys[i] for i in expected]


def test_queue_view_counts_days_in_campaign_zone(engine, settings):
    forget_counts(engine)  # PostgreSQL tests share one database URL
    create_user(engine=engine, username="mgr", role="manager", password="long-enough")
    add_pending(engine, [make_post(created_at=datetime(2026, 10, 1, h, tzinfo=UTC))
                         for h in (1, 15, 17)])
    view = queue_view(engine=engine, settings=settings, user=find_user(engine=engine,
                                                                         username="mgr"))
    assert view.read_only and view.total_pending == 3 and len(view.items) == 3
    assert dict(view.day_counts) == {date(2026, 10, 1): 2, date(2026, 10, 2): 1}
    with session_scope(engine) as session:  # a manager's look claims nothing
        assert session.scalar(sa.select(sa.func.count()).where(
            PostRow.claimed_by.is_not(None))) == 0


def test_day_counts_are_cached_until_a_decision_here(engine, settings):
    forget_counts(engine)
    keys = add_pending(engine, [make_post() for _ in range(2)])
    assert day_counts(engine=engine, settings=settings) == ({date(2026, 10, 3): 2}, 0)
    set_values(engine, keys[0], status="approved")  # elsewhere: counted again within seconds
    assert day_counts(engine=engine, settings=settings) == ({date(2026, 10, 3): 2}, 0)
    create_user(engine=engine, username="li", role="moderator", password="long-enough")
    decide(engine=engine, settings=settings, key=keys[1], user=find_user(engine=engine,
           username="li"), decision=Decision("reject", reason="spam"))
    assert day_counts(engine=engine, settings=settings) == ({}, 0)
    uncached = settings.model_copy(update={"moderation": settings.moderation.model_copy(
        update={"counts_seconds": 0})})
    add_pending(engine, [make_post()])
    assert day_counts(engine=engine, settings=uncached)[0] == {date(2026, 10, 3): 3}


def _moderate_all(url, settings, name, rounds=200):
    engine = get_engine(url)
    user = find_user(engine=engine, username=name)
    decided = 0
    for _ in range(rounds):
        batch = claim_batch(engine=engine, settings=settings, user=name, n=3)
        if not batch:
            break
        for post in batch:
            decide(engine=engine, settings=settings, key=post.key, user=user,
                   decision=Decision("approve", section="mobile", version=post.version))
            decided += 1
    return decided


def _check_every_post_decided_once(engine, keys, total):
    with session_scope(engine) as session:
        statuses = session.exec(sa.select(PostRow.status, sa.func.count())
                                .group_by(PostRow.status)).all()
        audit = session.exec(sa.select(AuditEntry.post_key, sa.func.count())
                             .group_by(AuditEntry.post_key)).all()
    assert dict(statuses) == {"approved": len(keys)}
    assert sorted(k for k, n in audit if n == 1) == sorted(keys)
    assert total == len(keys)


def test_many_threads_claim_and_decide(engine, settings, db_url):
    keys = add_pending(engine, [make_post() for _ in range(60)])
    names = [f"mod{i}" for i in range(6)]
    for name in names:
        create_user(engine=engine, username=name, role="moderator", password="long-enough")
    counts: list[int] = []
    threads = [threading.Thread(target=lambda n=n: counts.append(
        _moderate_all(db_url, settings, n))) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    _check_every_post_decided_once(engine, keys, sum(counts))


@pytest.mark.postgres
def test_many_processes_claim_and_decide(tmp_path, request):
    url = request.getfixturevalue("pg_database")
    engine = get_engine(url)
    tables = ", ".join(f'"{t}"' for t in ("post", "audit_entry", "app_user"))
    with engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    settings = make_settings(tmp_path, url)
    keys = add_pending(engine, [make_post() for _ in range(60)])
    names = [f"proc{i}" for i in range(3)]
    for name in names:
        create_user(engine=engine, username=name, role="moderator", password="long-enough")
    with multiprocessing.get_context("spawn").Pool(len(names)) as pool:
        counts = pool.starmap(_moderate_all, [(url, settings, n) for n in names])
    _check_every_post_decided_once(engine, keys, sum(counts))
