"""moderation/refresh.py end to end for Facebook: stored posts, a faked Graph lookup, snapshots."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import responses
import sqlalchemy as sa

from cqfriends.jobs.metrics import refresh_metrics
from cqfriends.store.db import get_engine, session_scope
from cqfriends.store.models import MetricSnapshot, PostRow
from tests.collectors.test_facebook import answer_asked
from tests.jobs.test_ingest import GRAPH, PAGE, body, collect, live_settings, runs


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def test_facebook_refresh_keeps_a_snapshot_and_skips_a_deleted_post(api, tmp_path, sqlite_url):
    settings = live_settings(tmp_path, sqlite_url)
    settings = settings.model_copy(update={"scheduler": settings.scheduler.model_copy(
        update={"metrics_max_age_days": 3650})})
    api.get(f"{GRAPH}/{PAGE}/feed", json=body("facebook", "feed_p1.json"))
    api.get(f"{GRAPH}/{PAGE}/feed", json=body("facebook", "feed_p2.json"))
    collect("facebook", settings)
    found = {item["id"]: item for name in ("feed_p1.json", "feed_p2.json")
             for item in body("facebook", name)["data"]}
    kept, gone = list(found)[:2]
    found[kept]["reactions"]["summary"]["total_count"] = 400
    api.add_callback(responses.GET, GRAPH, content_type="application/json",
                     callback=answer_asked(found, missing=frozenset({gone})))
    [summary] = refresh_metrics(engine=get_engine(sqlite_url), settings=settings)
    assert summary.source == "facebook:metrics" and summary.error is None
    assert summary.updated == 1 and summary.new == 0
    lookups = [urlsplit(c.request.url).path for c in api.calls[2:]]
    assert lookups == ["/v19.0"] * 4  # the batch of 3 failed by `gone`, then each id alone
    assert [r.source for r in runs(settings, "facebook:metrics")] == ["facebook:metrics"]
    with session_scope(get_engine(sqlite_url)) as session:
        row = session.scalars(sa.select(PostRow).where(PostRow.source_id == kept)).one()
        likes = sorted(s.likes for s in session.scalars(
            sa.select(MetricSnapshot).where(MetricSnapshot.post_id == row.id)))
    assert row.likes == 400 and likes == [342, 400]

