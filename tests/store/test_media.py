"""store/media.py on SQLite and PostgreSQL: planning, claims and leases, counts; the migration."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import SQLModel

from cqfriends.normalize.post import Media
from cqfriends.store.db import session_scope
from cqfriends.store.media import (
    claim_due,
    missing_detail,
    plan_due,
    role_url,
    state_counts,
)
from cqfriends.store.models import MediaItem, utcnow
from tests.export.conftest import make_adder
from tests.factories import make_post


def test_the_migration_makes_the_table_the_model_describes(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    mine = [d for d in diff if "media_item" in repr(d)]
    assert mine == []


def test_plan_then_claim_with_a_lease(engine):
    add = make_adder(engine)
    add(make_post(media=[Media("photo", url="https://cdn.example/a.jpg"),
                         Media("video", url="https://cdn.example/v.mp4")]), status="pending")
    add(make_post(media=[]), status="pending")
    with session_scope(engine, write=True) as session:
        assert plan_due(session=session, mode="queued") == 1
        assert plan_due(session=session, mode="queued") == 0  # planned once
    now = utcnow()
    with session_scope(engine, write=True) as session:
        items = claim_due(session=session, now=now, limit=10, lease=timedelta(minutes=5))
    assert [(i.role, i.position, i.url) for i in items] == [
        ("preview", 0, "https://cdn.example/a.jpg")]  # the video has no cover: nothing to show
    with session_scope(engine, write=True) as session:
        assert claim_due(session=session, now=now, limit=10, lease=timedelta(minutes=5)) == []
        later = claim_due(session=session, now=now + timedelta(minutes=6), limit=10,
                          lease=timedelta(minutes=5))
    assert [i.id for i in later] == [items[0].id]  # a stopped run's lease ran out
    with session_scope(engine) as session:
        counts = state_counts(session=session)
    assert counts == {("preview", "fetching"): 1, ("preview", "none"): 1}


def test_role_urls():
    assert role_url({"type": "photo", "url": "u"}, "preview") == "u"
    assert role_url({"type": "video", "url": "v", "preview_url": "c"}, "preview") == "c"
    assert role_url({"type": "video", "url": "v"}, "preview") == ""
    assert role_url({"type": "video", "url": "v", "preview_url": "c"}, "full") == "v"


def test_a_failed_full_file_is_missing_even_with_its_preview():
    def row(role, state, reason=None):
        return MediaItem(post_id=1, position=0, role=role, media_type="video", state=state,
                         reason=reason)

    assert missing_detail([row("preview", "archived"), row("full", "failed", "HTTP 404")]) == \
        "video 1: HTTP 404 (only its preview is archived)"
    assert missing_detail([row("preview", "failed", "HTTP 404"), row("full", "due")]) == ""
    assert missing_detail([row("preview", "failed", "refused")]) == "video 1: refused"


def test_non_media_entries_still_get_rows(engine):
    add = make_adder(engine)
    [key] = add(make_post(media=[]), status="approved")
    with session_scope(engine, write=True) as session:
        session.execute(sa.text("UPDATE post SET media = :m").bindparams(
            sa.bindparam("m", type_=sa.JSON)), {"m": ["junk"]})
        assert plan_due(session=session, mode="approved") == 1
        assert plan_due(session=session, mode="approved") == 0
    with session_scope(engine) as session:
        [row] = session.execute(sa.select(MediaItem)).scalars().all()
    assert row.state == "failed" and "no link" in row.reason
