from dataclasses import replace
from datetime import timedelta

import sqlalchemy as sa

from cqfriends.normalize.post import Metrics
from cqfriends.store.db import session_scope
from cqfriends.store.models import MetricSnapshot, PostRow
from cqfriends.store.posts import get_post, list_posts, post_public_dict, upsert_posts
from tests.factories import make_post


def test_upsert_inserts_then_is_a_no_op(engine):
    posts = [make_post(), make_post(source="douyin", source_id="7301234567890123456")]
    with session_scope(engine) as session:
        first = upsert_posts(session=session, posts=posts)
    with session_scope(engine) as session:
        second = upsert_posts(session=session, posts=posts)
        assert session.execute(sa.select(sa.func.count()).select_from(PostRow)).scalar() == 2
        snapshots = session.execute(sa.select(sa.func.count()).select_from(MetricSnapshot))
        assert snapshots.scalar() == 2
    assert (first.new, first.updated, first.unchanged) == (2, 0, 0)
    assert (second.new, second.updated, second.unchanged) == (0, 0, 2)


def test_seen_again_updates_metrics_and_snapshots_but_keeps_moderation_state(engine):
    post = make_post()
    with session_scope(engine) as session:
        upsert_posts(session=session, posts=[post])
        row = get_post(session=session, key=post.key)
        row.status, row.section, row.featured = "approved", "mobile", True
        session.add(row)
    later = replace(post, metrics=Metrics(likes=40, comments=2),
                    collected_at=post.collected_at + timedelta(hours=1))
    with session_scope(engine) as session:
        result = upsert_posts(session=session, posts=[later])
    with session_scope(engine) as session:
        row = get_post(session=session, key=post.key)
        assert (row.status, row.section, row.featured) == ("approved", "mobile", True)
        assert row.likes == 40 and row.collected_at == later.collected_at
        taken = session.execute(sa.select(MetricSnapshot.likes).order_by(MetricSnapshot.id))
        assert [r[0] for r in taken] == [3, 40]
    assert result.updated == 1


def test_same_post_twice_in_one_batch_keeps_the_later(engine):
    post = make_post()
    later = replace(post, metrics=Metrics(likes=9))
    with session_scope(engine) as session:
        result = upsert_posts(session=session, posts=[post, later])
        assert get_post(session=session, key=post.key).likes == 9
    assert result.new == 1


def test_ids_and_times_round_trip_exactly(engine):
    post = make_post(source="douyin", source_id="7301234567890123456")
    with session_scope(engine) as session:
        upsert_posts(session=session, posts=[post])
    with session_scope(engine) as session:
        (row,) = list(list_posts(session=session, source="douyin"))
        public = post_public_dict(row)
    assert public["key"] == "douyin:7301234567890123456"
    assert public["created_at"] == "2026-10-03T12:00:00Z"
    assert public["metrics"] == {"likes": 3, "comments": 1, "shares": 0, "views": 0}
    assert public["media"][0]["type"] == "photo"


def test_list_posts_streams_in_batches_and_filters(engine):
    posts = [make_post() for _ in range(7)] + [make_post(source="facebook")]
    with session_scope(engine) as session:
        upsert_posts(session=session, posts=posts)
    with session_scope(engine) as session:
        assert len(list(list_posts(session=session, batch=3))) == 8
        assert len(list(list_posts(session=session, source="twitter", batch=3))) == 7
        assert list(list_posts(session=session, status="approved")) == []
