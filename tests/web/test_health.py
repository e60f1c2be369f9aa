"""/healthz (ok / not ok for anyone, 503 when the scheduler is down or a source is broken;
the facts only with a read token or a console session) and /admin/status."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import SecretStr

from cqfriends.store.db import get_engine, session_scope
from cqfriends.store.leader import beat
from cqfriends.store.models import SchedulerHeartbeat, utcnow
from cqfriends.store.sources import mark_error
from tests.factories import make_post
from tests.web.sessions import fast_passwords, login, make_client  # noqa: F401

db_url_for_settings = pytest.fixture(lambda db_url: db_url)


def beating(settings, *, age: timedelta = timedelta(0)) -> None:
    with session_scope(get_engine(settings.database.url)) as session:
        beat(session=session, holder="cqf-host:4242", started_at=utcnow())
        session.flush()
        session.get(SchedulerHeartbeat, "scheduler").beat_at = utcnow() - age


def with_twitter(settings, token: str = "twitter-token"):
    twitter = settings.sources.twitter.model_copy(update={"enabled": True,
                                                          "bearer_token": SecretStr(token)})
    return settings.model_copy(update={"sources": settings.sources.model_copy(
        update={"twitter": twitter})})


def healthz(settings, client=None):
    """/healthz as monitoring reads it: with a read token."""
    from cqfriends.store.tokens import create_token

    with session_scope(get_engine(settings.database.url)) as session:
        token = create_token(session=session, name=f"monitor-{id(settings)}-{utcnow()}")
    client = client or make_client(settings)
    return client.get("/healthz", headers={"Authorization": f"Bearer {token}"})


def test_healthz_tells_anyone_only_ok_or_not(settings):
    beating(settings)
    with session_scope(get_engine(settings.database.url)) as session:
        mark_error(session=session, source="douyin", error="C:/secret/inbox/x.csv bad row")
    response = make_client(settings).get("/healthz")
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert "cqf-host" not in response.text and "secret" not in response.text
    forged = make_client(settings).get("/healthz", headers={"Authorization": "Bearer nope"})
    assert forged.json() == {"ok": True}
    assert "cqf-host:4242" in healthz(settings).text


def test_healthz_details_for_a_console_session(settings):
    client = make_client(settings)
    assert make_client(settings).get("/healthz").json() == {"ok": False}
    login(client, "mod", "moderator")
    assert client.get("/healthz").json()["problems"]


def test_healthz_is_503_without_a_running_scheduler(settings):
    assert make_client(settings).get("/healthz").status_code == 503
    response = healthz(settings)
    assert response.status_code == 503
    body = response.json()
    assert body["ok"] is False and body["scheduler"]["running"] is False
    assert body["problems"] == ["scheduler is not running (no fresh heartbeat)"]
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(("age", "status"), [(timedelta(seconds=5), 200),
                                             (timedelta(minutes=5), 503)])
def test_healthz_follows_the_heartbeat(settings, age, status):
    beating(settings, age=age)
    response = healthz(settings)
    assert response.status_code == status
    assert response.json()["scheduler"]["holder"] == "cqf-host:4242"


def test_healthz_reports_sources_and_the_queue(settings):
    from cqfriends.store.posts import upsert_posts

    beating(settings)
    engine = get_engine(settings.database.url)
    with session_scope(engine) as session:  # just collected: their checks are still to come
        upsert_posts(session=session, posts=[make_post(collected_at=utcnow()),
                                             make_post(collected_at=utcnow())])
    body = healthz(settings).json()
    assert body["ok"] is True
    assert body["queue"]["backlog"] == 2 and body["queue"]["unchecked"] == 2
    douyin = next(s for s in body["sources"] if s["source"] == "douyin")
    assert douyin["enabled"] is True and douyin["token"] == "n/a"
    assert set(douyin) >= {"last_success_at", "last_error", "next_run_at", "cursor", "state"}


def test_a_broken_source_makes_healthz_503_until_its_token_changes(settings):
    beating(settings)
    broken = with_twitter(settings, "old-token")
    from cqfriends.jobs.collect import token_fingerprint

    with session_scope(get_engine(settings.database.url)) as session:
        mark_error(session=session, source="twitter", error="twitter: bearer token rejected (401)",
                   state_name="broken", fingerprint=token_fingerprint("old-token"))
    response = healthz(broken)
    assert response.status_code == 503
    assert "twitter: token refused" in response.json()["problems"][0]
    assert "old-token" not in response.text
    renewed = healthz(with_twitter(settings, "new-token"))
    assert renewed.status_code == 200
    assert renewed.json()["sources"][0]["token"] == "new"


def test_admin_status_page_needs_an_admin(settings):
    client = make_client(settings)
    assert client.get("/admin/status", headers={"accept": "text/html"}).status_code == 303
    login(client, "mod", "moderator")
    assert client.get("/admin/status", headers={"accept": "text/html"}).status_code == 403


def test_admin_status_page_shows_the_facts_escaped(settings):
    beating(settings)
    with session_scope(get_engine(settings.database.url)) as session:
        mark_error(session=session, source="douyin", error="<script>alert(1)</script> bad row")
    client = make_client(settings)
    login(client, "boss", "admin")
    page = client.get("/admin/status", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "Scheduler: <strong>running</strong>" in page.text and "cqf-host:4242" in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; bad row" in page.text
    assert "<script>alert(1)" not in page.text
