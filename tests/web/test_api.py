import threading

import pytest
import sqlalchemy as sa

from cqfriends.store.db import session_scope
from cqfriends.store.models import PostRow
from cqfriends.store.tokens import revoke_token
from tests.conftest import make_settings
from tests.export.conftest import nasty_post, set_state
from tests.factories import make_post
from tests.web.sessions import make_client


@pytest.fixture(autouse=True)
def no_caching(monkeypatch):
    """Tests see every change at once; the caches have their own test below."""
    monkeypatch.setattr("cqfriends.web.routes.api.SEQ_RECHECK", -1.0)
    monkeypatch.setattr("cqfriends.web.routes.feeds.TOKEN_RECHECK_SECONDS", -1.0)


def keys(response):
    return [p["key"] for p in response.json()["posts"]]


def test_a_read_token_is_required_unless_feeds_are_public(client, auth, engine, tmp_path,
                                                          db_url):
    assert client.get("/api/v1/posts").status_code == 401
    assert client.get("/api/v1/posts", headers={"Authorization": "Bearer nope"}
                      ).status_code == 401
    assert client.get("/api/v1/posts", headers=auth).status_code == 200
    with session_scope(engine) as session:
        revoke_token(session=session, name="web-team")
    assert client.get("/api/v1/posts", headers=auth).status_code == 401
    settings = make_settings(tmp_path, db_url)
    public = make_client(settings.model_copy(update={"web": settings.web.model_copy(
        update={"public_feeds": True})}))
    assert public.get("/api/v1/posts").status_code == 200


def test_only_approved_posts_with_safe_urls_and_filters(client, auth, add_posts):
    (nasty,) = add_posts(nasty_post(url="javascript:alert(1)"), featured=True)
    (pro,) = add_posts(make_post(source="facebook", lang="zh"), section="professional")
    add_posts(make_post(), status="pending")
    body = client.get("/api/v1/posts", headers=auth).json()
    assert [p["key"] for p in body["posts"]] == [nasty, pro]
    assert "javascript:" not in str(body) and "flags" not in body["posts"][0]
    assert body["posts"][0]["url"] == ""
    for query, expected in [("section=professional", [pro]), ("source=facebook", [pro]),
                            ("featured=true", [nasty]), ("lang=zh", [pro]),
                            ("featured=false&section=mobile", []),
                            ("since=2000-01-01T00:00:00Z", [nasty, pro]),
                            ("since=2999-01-01", [])]:
        assert keys(client.get(f"/api/v1/posts?{query}", headers=auth)) == expected, query


def test_etag_and_if_none_match_give_304_until_something_changes(client, auth, add_posts,
                                                                  engine):
    (key,) = add_posts(make_post())
    first = client.get("/api/v1/posts", headers=auth)
    etag = first.headers["etag"]
    again = client.get("/api/v1/posts", headers={**auth, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    set_state(engine, [key], status="removed")
    changed = client.get("/api/v1/posts", headers={**auth, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.json()["posts"] == []


def test_cursor_pages_have_no_gaps_or_repeats_while_posts_are_approved(client, auth,
                                                                       add_posts, engine):
    before = add_posts(*(make_post() for _ in range(30)))
    waiting = add_posts(*(make_post() for _ in range(30)), status="pending")

    def approve():
        for key in waiting:
            set_state(engine, [key], status="approved")

    approver = threading.Thread(target=approve)
    approver.start()
    seen, cursor, pages = [], None, 0
    while True:
        url = "/api/v1/posts?limit=7" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url, headers=auth).json()
        seen += [p["key"] for p in body["posts"]]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
    approver.join()
    assert len(seen) == len(set(seen))  # no repeats
    assert set(before) <= set(seen)  # nothing approved before the listing is skipped
    assert pages >= 5


def test_bad_cursor_is_a_400(client, auth):
    response = client.get("/api/v1/posts?cursor=zzz", headers=auth)
    assert response.status_code == 400 and "cursor" in response.json()["detail"]


def test_changes_report_approvals_and_takedowns_so_mirrors_can_delete(client, auth,
                                                                      add_posts, engine):
    a, b = add_posts(make_post(), make_post())
    body = client.get("/api/v1/changes?since=0", headers=auth).json()
    assert [(c["op"], c["key"]) for c in body["changes"]] == [("upsert", a), ("upsert", b)]
    since = body["next_since"]
    set_state(engine, [a], status="removed")
    set_state(engine, [b], section="professional")
    later = client.get(f"/api/v1/changes?since={since}", headers=auth).json()
    assert [(c["op"], c["key"]) for c in later["changes"]] == [("delete", a), ("upsert", b)]
    assert later["changes"][1]["post"]["section"] == "professional"
    assert "post" not in later["changes"][0]
    empty = client.get(f"/api/v1/changes?since={later['next_since']}", headers=auth).json()
    assert empty["changes"] == [] and empty["next_since"] == later["next_since"]
    by_time = client.get("/api/v1/changes?since=2000-01-01T00:00:00Z", headers=auth).json()
    assert {c["key"] for c in by_time["changes"]} == {a, b}


def test_openapi_documents_the_api(client):
    spec = client.get("/openapi.json").json()
    assert {"/api/v1/posts", "/api/v1/changes", "/feeds/approved.json"} <= set(spec["paths"])
    params = {p["name"] for p in spec["paths"]["/api/v1/posts"]["get"]["parameters"]}
    assert {"section", "source", "featured", "lang", "since", "cursor", "limit"} <= params


def test_takedown_leaves_the_api(client, auth, add_posts, engine):
    (key,) = add_posts(make_post())
    with session_scope(engine) as session:
        session.execute(sa.update(PostRow).values(status="removed"))
    assert key not in keys(client.get("/api/v1/posts", headers=auth))


def test_pages_are_cached_until_the_change_sequence_moves(client, auth, add_posts, engine,
                                                          monkeypatch):
    monkeypatch.setattr("cqfriends.web.routes.api.SEQ_RECHECK", 3600.0)
    (key,) = add_posts(make_post())
    assert keys(client.get("/api/v1/posts", headers=auth)) == [key]
    set_state(engine, [key], status="removed")
    assert keys(client.get("/api/v1/posts", headers=auth)) == [key]  # within the window
    client.app.state.page_cache.seq_read_at = float("-inf")  # the window has passed
    assert keys(client.get("/api/v1/posts", headers=auth)) == []
