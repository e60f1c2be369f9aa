"""The queue page over HTTP: filters, escaping, CSRF, roles, decisions, undo, bulk."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from cqfriends.normalize.post import Author, Media
from cqfriends.store.db import session_scope
from cqfriends.store.models import PostRow
from tests.factories import make_post
from tests.moderation.test_queue import add_pending, set_values
from tests.web.sessions import fast_passwords, login, make_client  # noqa: F401

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)> #ChongqingFriends'
HTML = {"accept": "text/html"}
JSON = {"accept": "application/json"}


@pytest.fixture
def client(settings):
    return make_client(settings)


@pytest.fixture
def engine(client):
    return client.app.state.engine


def status_of(engine, key):
    source, _, source_id = key.partition(":")
    with session_scope(engine) as session:
        return session.scalar(sa.select(PostRow.status).where(
            PostRow.source == source, PostRow.source_id == source_id))


def test_participant_markup_is_inert(client, engine):
    post = make_post(text=EVIL, author=Author(id="9", name="<b onmouseover=x>Bo</b>",
                                              handle="bo", url="javascript:alert(1)"),
                     url="javascript:alert(2)",
                     media=[Media(type="photo", url="data:image/svg+xml,<svg onload=alert(3)>")])
    add_pending(engine, [post])
    login(client, "li", "moderator")
    html = client.get("/moderation", headers=HTML).text
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html and "onerror=alert(1)&gt;" in html
    assert "<b onmouseover" not in html
    assert "javascript:" not in html and "data:image" not in html
    assert '<mark class="tag">#ChongqingFriends</mark>' in html


def test_queue_shows_flags_history_and_days(client, engine):
    keys = add_pending(engine, [make_post(), make_post()])
    set_values(engine, keys[0], flags=[{"code": "suspect-word", "detail": "hotpot"}],
               text="Best hotpot in town #ChongqingFriends")
    login(client, "li", "moderator")
    html = client.get("/moderation?flag=suspect-word", headers=HTML).text
    assert keys[0] in html and keys[1] not in html
    assert '<mark class="suspect">hotpot</mark>' in html
    assert "Contains words to double-check" in html
    assert re.search(r"2026-10-03 \(2\)", html)  # 12:00 UTC is the 3rd in Chongqing


def test_bad_day_filter_is_400(client):
    login(client, "li", "moderator")
    assert client.get("/moderation?day=yesterday", headers=HTML).status_code == 400


def test_decide_needs_csrf(client, engine):
    (key,) = add_pending(engine, [make_post()])
    login(client, "li", "moderator")
    data = {"key": key, "action": "approve", "section": "mobile"}
    assert client.post("/moderation/decide", data=data).status_code == 403
    assert client.post("/moderation/decide", data={**data, "csrf_token": "forged"}
                       ).status_code == 403
    assert status_of(engine, key) == "pending"


def test_manager_reads_but_cannot_decide(client, engine):
    (key,) = add_pending(engine, [make_post()])
    token = login(client, "mgr", "manager")
    page = client.get("/moderation", headers=HTML).text
    assert key in page and "Read-only view" in page and "/moderation/decide" not in page
    response = client.post("/moderation/decide", headers=HTML, data={
        "key": key, "action": "approve", "section": "mobile", "csrf_token": token})
    assert response.status_code == 403


def test_decide_with_json_then_undo(client, engine):
    (key,) = add_pending(engine, [make_post()])
    token = login(client, "li", "moderator")
    client.get("/moderation", headers=HTML)
    response = client.post("/moderation/decide", headers={**JSON, "x-csrf-token": token},
                           data={"key": key, "action": "approve", "section": "professional",
                                 "version": "1"})
    body = response.json()
    assert {k: body[k] for k in ("ok", "key", "status", "version")} == {
        "ok": True, "key": key, "status": "approved", "version": 2}
    assert body["message"].startswith(f"Approved {key} into Professional works.")
    response = client.post("/moderation/undo", data={"csrf_token": token})
    assert response.status_code == 303 and status_of(engine, key) == "pending"


def test_stale_decision_is_409_with_message(client, engine):
    (key,) = add_pending(engine, [make_post()])
    token = login(client, "li", "moderator")
    set_values(engine, key, version=3)
    response = client.post("/moderation/decide", headers={**JSON, "x-csrf-token": token},
                           data={"key": key, "action": "reject", "reason": "spam",
                                 "version": "2"})
    assert response.status_code == 409 and "changed since" in response.json()["detail"]


def test_bulk_approve(client, engine):
    keys = add_pending(engine, [make_post() for _ in range(3)])
    token = login(client, "li", "moderator")
    response = client.post("/moderation/bulk", data={
        "csrf_token": token, "action": "approve", "section": "mobile",
        "items": [f"{k}@1" for k in keys[:2]]})
    assert response.status_code == 303
    assert [status_of(engine, k) for k in keys] == ["approved", "approved", "pending"]


def test_post_page_shows_history(client, engine):
    (key,) = add_pending(engine, [make_post()])
    token = login(client, "li", "moderator")
    client.post("/moderation/decide", data={"csrf_token": token, "key": key,
                                             "action": "reject", "reason": "spam",
                                             "note": "<i>ad</i>"})
    html = client.get(f"/moderation/post/{key}", headers=HTML).text
    assert "reject" in html and "spam" in html and "&lt;i&gt;ad&lt;/i&gt;" in html


@pytest.mark.parametrize("text, words, expected", [
    ("Hi #ChongqingFriends!", [], 'Hi <mark class="tag">#ChongqingFriends</mark>!'),
    ("#chongqingfriendsForever", [], "#chongqingfriendsForever"),  # another tag
    ("＃ChongqingFriends", [], '<mark class="tag">＃ChongqingFriends</mark>'),
    ("spicy <b>hotpot</b>", ["hotpot"],
     'spicy &lt;b&gt;<mark class="suspect">hotpot</mark>&lt;/b&gt;'),
    ("a&b", ["&"], 'a<mark class="suspect">&amp;</mark>b'),
])
def test_highlight_escapes_then_marks(text, words, expected):
    from cqfriends.web.templating import highlight
    assert str(highlight(text, ["chongqingfriends"], words)) == expected


@pytest.mark.parametrize("url, expected", [
    ("https://x.com/a", "https://x.com/a"), ("http://fb.com/p", "http://fb.com/p"),
    ("javascript:alert(1)", ""), (" JAVASCRIPT:alert(1)", ""), ("data:text/html,x", ""),
    ("//evil.example/x", ""), ("", ""), (None, ""),
])
def test_only_http_urls(url, expected):
    from cqfriends.web.templating import safe_url
    assert safe_url(url) == expected
