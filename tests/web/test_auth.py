"""Login, sessions, CSRF and throttling over HTTP."""

from __future__ import annotations

import pytest

from tests.web.sessions import PASSWORD, csrf_of, fast_passwords, login, make_client  # noqa: F401


@pytest.fixture
def client(settings):
    return make_client(settings)


def test_login_form_has_csrf_and_escapes_next(client):
    response = client.get("/login?next=%22%3E%3Cscript%3Ealert(1)%3C/script%3E")
    assert response.status_code == 200
    assert "<script>alert(1)" not in response.text
    assert 'name="csrf_token"' in response.text


def test_login_sets_hardened_cookie_and_redirects(client):
    login(client, "li.wei", "moderator")
    cookie = client.cookies.jar
    assert any(c.name == "cqf_session" for c in cookie)
    token = csrf_of(client)
    response = client.post("/login", data={"username": "li.wei", "password": PASSWORD,
                                           "csrf_token": token, "next": "https://evil.example/"})
    assert response.headers["location"] == "/moderation"
    header = response.headers["set-cookie"].lower()
    assert "httponly" in header and "samesite=lax" in header


def test_login_without_csrf_refused(client):
    login(client, "li.wei", "moderator")
    client.cookies.clear()
    response = client.post("/login", data={"username": "li.wei", "password": PASSWORD})
    assert response.status_code == 403


def test_wrong_password_then_throttled(client):
    login(client, "li.wei", "moderator")
    token = csrf_of(client)
    max_failed = client.app.state.settings.web.max_failed_logins
    for _ in range(max_failed):
        response = client.post("/login", data={"username": "li.wei", "password": "nope",
                                               "csrf_token": token})
        assert response.status_code == 401
    response = client.post("/login", data={"username": "li.wei", "password": PASSWORD,
                                           "csrf_token": token},
                           headers={"accept": "text/html"})
    assert response.status_code == 429
    assert "too many failed logins" in response.text


@pytest.mark.parametrize("path", ["/moderation", "/admin/users", "/admin/audit"])
def test_unauthenticated_html_redirects_to_login(client, path):
    response = client.get(path, headers={"accept": "text/html"})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


def test_unauthenticated_json_gets_401(client):
    response = client.get("/moderation", headers={"accept": "application/json"})
    assert response.status_code == 401


def test_forged_cookie_is_no_session(client):
    client.cookies.set("cqf_session", "eyJ1IjoiYWRtaW4ifQ.forged.sig")
    response = client.get("/moderation", headers={"accept": "text/html"})
    assert response.status_code == 303


def test_logout_ends_session(client):
    token = login(client, "li.wei", "moderator")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/moderation", headers={"accept": "text/html"}).status_code == 303


def test_password_change_ends_sessions(client):
    from cqfriends.store.users import set_user_password
    login(client, "li.wei", "moderator")
    set_user_password(engine=client.app.state.engine, username="li.wei", password="another-one")
    assert client.get("/moderation", headers={"accept": "text/html"}).status_code == 303


@pytest.mark.parametrize("role, path, status", [
    ("manager", "/admin/users", 403), ("moderator", "/admin/audit", 403),
    ("webteam", "/moderation", 403), ("manager", "/moderation", 200),
    ("admin", "/admin/users", 200),
])
def test_roles(client, role, path, status):
    login(client, "someone", role)
    assert client.get(path, headers={"accept": "text/html"}).status_code == status
