"""jobs/collect.py: live collection runs, source states, and the checks after them.

HTTP only through ``responses`` fakes of the X API and the Graph API.
"""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import responses
import sqlalchemy as sa
from pydantic import SecretStr

import cqfriends.collectors.twitter
from cqfriends.jobs.collect import collect_source
from cqfriends.normalize.post import RawRecord
from cqfriends.settings import Settings
from cqfriends.store.db import get_engine, session_scope
from cqfriends.store.models import CollectorRun, PostRow, SourceState
from tests.conftest import FIXTURES, make_settings

SEARCH = "https://api.twitter.com/2/tweets/search/recent"
GRAPH = "https://graph.facebook.com/v19.0"
PAGE = "104900000000001"
TOKEN = "AAAAAAAAAAAAAAAAAAAAAcqf-pipeline-test-token"
FB_TOKEN = "EAAGcqfPipelineTestPageToken0123"


def body(folder: str, name: str) -> dict:
    return json.loads((FIXTURES / folder / name).read_text(encoding="utf-8"))


def live_settings(tmp_path: Path, url: str, token: str = TOKEN) -> Settings:
    base = make_settings(tmp_path, url)
    sources = base.sources.model_copy(update={
        "twitter": base.sources.twitter.model_copy(update={
            "enabled": True, "bearer_token": SecretStr(token), "max_results": 10}),
        "facebook": base.sources.facebook.model_copy(update={
            "enabled": True, "access_token": SecretStr(FB_TOKEN), "app_secret": None,
            "pages": [PAGE], "tagged": False, "instagram_user_id": None}),
    })
    return base.model_copy(update={"sources": sources})


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def live(tmp_path: Path, db_url: str) -> Settings:
    return live_settings(tmp_path, db_url)


def state_of(settings: Settings, source: str) -> SourceState:
    with session_scope(get_engine(settings.database.url)) as session:
        return session.get(SourceState, source)


def runs(settings: Settings, source: str) -> list[CollectorRun]:
    with session_scope(get_engine(settings.database.url)) as session:
        return list(session.scalars(sa.select(CollectorRun).where(CollectorRun.source == source)
                                    .order_by(CollectorRun.id)))


def post_count(settings: Settings) -> int:
    with session_scope(get_engine(settings.database.url)) as session:
        return session.execute(sa.select(sa.func.count()).select_from(PostRow)).scalar_one()


def collect(name: str, settings: Settings, **kwargs):
    return collect_source(name, engine=get_engine(settings.database.url), settings=settings,
                          **kwargs)


def test_a_run_is_recorded_and_moves_the_cursor(api, live):
    api.get(SEARCH, json=body("twitter", "search_p1.json"))
    api.get(SEARCH, json=body("twitter", "search_p2.json"))
    summary = collect("twitter", live)
    assert (summary.fetched, summary.new, summary.bad, summary.error) == (3, 3, 0, None)
    [run] = runs(live, "twitter")
    assert (run.fetched, run.new, run.updated, run.bad, run.error) == (3, 3, 0, 0, None)
    assert run.finished_at >= run.started_at
    state = state_of(live, "twitter")
    assert state.cursor == {"since_id": "1975100000000000001"} and state.last_success_at
    api.get(SEARCH, json=body("twitter", "empty_page.json"))
    again = collect("twitter", live)
    assert (again.new, again.updated) == (0, 0)
    assert "since_id=1975100000000000001" in api.calls[-1].request.url


def test_429_skips_the_source_until_reset_while_the_others_run(api, live):
    reset = datetime.now(UTC) + timedelta(minutes=10)
    api.get(SEARCH, status=429, json=body("twitter", "error_429.json"),
            headers={"x-rate-limit-reset": str(int(reset.timestamp()))})
    api.get(f"{GRAPH}/{PAGE}/feed", json=body("facebook", "feed_p1.json"))
    api.get(f"{GRAPH}/{PAGE}/feed", json=body("facebook", "feed_p2.json"))

    limited = collect("twitter", live)
    assert limited.state == "rate_limited" and "429" in limited.error
    state = state_of(live, "twitter")
    assert state.state == "rate_limited"
    assert abs(state.reset_at - reset) < timedelta(seconds=1)
    facebook = collect("facebook", live)  # another source is not held up
    assert facebook.error is None and facebook.new > 0

    calls = len(api.calls)
    skipped = collect("twitter", live)
    assert skipped.skipped.startswith("rate-limited until") and len(api.calls) == calls
    assert len(runs(live, "twitter")) == 1  # a skip is not a run

    with session_scope(get_engine(live.database.url)) as session:  # the reset time passes
        session.get(SourceState, "twitter").reset_at = datetime.now(UTC) - timedelta(seconds=1)
    api.replace(responses.GET, SEARCH, json=body("twitter", "search_p2.json"))
    resumed = collect("twitter", live)
    assert resumed.skipped is None and resumed.new == 1 and resumed.state == "ok"
    assert state_of(live, "twitter").state == "ok"


def test_refused_token_marks_broken_until_the_token_changes(api, tmp_path, sqlite_url):
    settings = live_settings(tmp_path, sqlite_url, token="expired-token-1")
    api.get(SEARCH, status=401, json=body("twitter", "error_401.json"))
    broken = collect("twitter", settings)
    assert broken.state == "broken"
    state = state_of(settings, "twitter")
    assert state.state == "broken"
    assert state.token_fingerprint == hashlib.sha256(b"expired-token-1").hexdigest()
    with get_engine(sqlite_url).connect() as conn:  # the token itself is stored nowhere
        dump = "\n".join(conn.connection.iterdump())
    assert "expired-token-1" not in dump

    calls = len(api.calls)
    assert "token" in collect("twitter", settings).skipped and len(api.calls) == calls

    renewed = live_settings(tmp_path, sqlite_url, token="fresh-token-2")
    api.replace(responses.GET, SEARCH, json=body("twitter", "search_p2.json"))
    fixed = collect("twitter", renewed)
    assert fixed.skipped is None and fixed.state == "ok" and fixed.new == 1
    assert api.calls[-1].request.headers["Authorization"] == "Bearer fresh-token-2"
    assert state_of(renewed, "twitter").state == "ok"


def test_a_failure_mid_run_keeps_the_fetched_page_and_not_the_cursor(api, live, monkeypatch):
    monkeypatch.setattr(cqfriends.collectors.twitter, "BACKOFF_SECONDS", 0)
    api.get(SEARCH, json=body("twitter", "search_p1.json"))
    api.get(SEARCH, status=503, json=body("twitter", "error_503.json"))
    summary = collect("twitter", live)
    assert summary.new == 2 and "gave up" in summary.error and summary.state == "ok"
    state = state_of(live, "twitter")
    assert state.cursor == {} and state.last_error == summary.error
    assert runs(live, "twitter")[0].error == summary.error


def test_a_stop_request_ends_the_run_after_the_page_in_hand(live, monkeypatch):
    stop = threading.Event()
    page = body("twitter", "search_p1.json")
    fetched: list[int] = []

    def fake_collect(cfg, cursor, client=None):
        for n in range(3):
            fetched.append(n)
            data = {**page, "data": [{**t, "id": f"{t['id'][:-2]}{n}{i}"}
                                     for i, t in enumerate(page["data"])]}
            stop.set()  # SIGTERM arrives while page n is in hand
            yield RawRecord(source="twitter", kind="search_page", data=data, origin=SEARCH,
                            fetched_at=datetime.now(UTC), cursor_after={"page": n})

    monkeypatch.setattr(cqfriends.collectors.twitter, "collect", fake_collect)
    summary = collect("twitter", live, stop=stop)
    assert summary.stopped and summary.new == 2 and fetched == [0]
    assert state_of(live, "twitter").cursor == {"page": 0}
    assert post_count(live) == 2


def test_every_collection_checks_the_posts_still_unchecked(api, live, monkeypatch):
    import cqfriends.moderation.checks.runner as runner

    called: list[bool] = []
    real = runner.run_checks
    def cut_short(**kw):
        called.append(kw.get("recheck", False))
        return runner.CheckSummary()

    monkeypatch.setattr(runner, "run_checks", cut_short)
    api.get(SEARCH, json=body("twitter", "search_p2.json"))
    collect("twitter", live)
    assert called == [False]  # ... and this check run was cut short: nothing checked
    api.replace(responses.GET, SEARCH, json=body("twitter", "search_p2.json"))
    collect("twitter", live)  # nothing new, but the post is still unchecked: checked now
    assert called == [False, False]
    off = live.model_copy(update={"scheduler": replace_scheduler(live, checks=False)})
    api.replace(responses.GET, SEARCH, json=body("twitter", "search_p1.json"))
    collect("twitter", off)
    assert called == [False, False]
    monkeypatch.setattr(runner, "run_checks", real)
    api.replace(responses.GET, SEARCH, json=body("twitter", "empty_page.json"))
    collect("twitter", live)  # the leftovers of the runs above: all checked now
    with session_scope(get_engine(live.database.url)) as session:
        statuses = session.scalars(sa.select(PostRow.status)).all()
    assert statuses and "collected" not in statuses
    monkeypatch.setattr(runner, "run_checks", lambda **kw: called.append(True))
    collect("twitter", live)  # nothing unchecked: no check run at all
    assert called == [False, False]


def replace_scheduler(settings: Settings, *, checks: bool):
    return settings.scheduler.model_copy(update={"checks_after_collect": checks})



def test_metrics_refresh_looks_recent_tweets_up_and_keeps_a_snapshot(api, tmp_path, sqlite_url):
    from cqfriends.jobs.metrics import refresh_metrics
    from cqfriends.store.models import MetricSnapshot

    settings = live_settings(tmp_path, sqlite_url)
    settings = settings.model_copy(update={"scheduler": settings.scheduler.model_copy(
        update={"metrics_max_age_days": 3650})})
    api.get(SEARCH, json=body("twitter", "search_p1.json"))
    api.get(SEARCH, json=body("twitter", "search_p2.json"))
    collect("twitter", settings)
    lookup = body("twitter", "tweets_lookup.json")
    lookup["data"][0]["public_metrics"]["like_count"] = 99
    api.get("https://api.twitter.com/2/tweets", json=lookup)
    [summary] = refresh_metrics(engine=get_engine(sqlite_url), settings=settings)
    assert summary.source == "twitter:metrics" and summary.updated == 1 and summary.new == 0
    ids = api.calls[-1].request.url.split("ids=")[1].split("&")[0]
    assert len(ids.split("%2C")) == 3  # every recent tweet, in one batch (of up to 100)
    with session_scope(get_engine(sqlite_url)) as session:
        row = session.scalars(sa.select(PostRow).where(
            PostRow.source_id == lookup["data"][0]["id"])).one()
        likes = sorted(s.likes for s in session.scalars(
            sa.select(MetricSnapshot).where(MetricSnapshot.post_id == row.id)))
    assert row.likes == 99 and likes == [45, 99]
    assert state_of(settings, "twitter").cursor == {"since_id": "1975100000000000001"}
    assert [r.source for r in runs(settings, "twitter:metrics")] == ["twitter:metrics"]
