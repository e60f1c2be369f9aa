"""Security over HTTP, on SQLite and PostgreSQL: sessions end on the server, throttling is
per (user, client), one trusted-proxy rule, query values are validated (400, never 500),
tokens stay out of logs, every response carries the security headers, no rendered form
lacks its CSRF token."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest

from cqfriends.store.db import session_scope
from cqfriends.store.logins import FIRST_DELAY, THROTTLE_WINDOW, check_throttle, login_delay
from cqfriends.store.models import LoginFailure, utcnow
from cqfriends.store.users import LoginThrottled, create_user, set_user_disabled
from tests.factories import make_post
from tests.moderation.test_queue import add_pending
from tests.web.sessions import PASSWORD, csrf_of, fast_passwords, login, make_client  # noqa: F401

db_url_for_settings = pytest.fixture(lambda db_url: db_url)
HTML = {"accept": "text/html"}


@pytest.fixture
def client(settings):
    return make_client(settings)


def with_web(settings, **changes):
    return settings.model_copy(update={"web": settings.web.model_copy(update=changes)})


# -- sessions end on the server -------------------------------------------------------------
def test_an_old_cookie_opens_nothing_after_logout(client):
    (key,) = add_pending(client.app.state.engine, [make_post()])
    token = login(client, "li", "moderator")
    stolen = dict(client.cookies)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    thief = make_client(client.app.state.settings)
    thief.app = client.app
    for name, value in stolen.items():
        thief.cookies.set(name, value)
    assert thief.get("/moderation", headers=HTML).status_code == 303
    decision = thief.post("/moderation/decide", headers={"accept": "application/json"},
                          data={"csrf_token": token, "key": key, "action": "approve",
                                "section": "mobile"})
    assert decision.status_code == 401


def test_a_password_change_or_deactivation_ends_every_session(client):
    from cqfriends.store.users import reset_user_password

    login(client, "li", "moderator")
    other = make_client(client.app.state.settings)
    login(other, "li")
    reset_user_password(engine=client.app.state.engine, username="li")
    assert client.get("/moderation", headers=HTML).status_code == 303
    assert other.get("/moderation", headers=HTML).status_code == 303
    login(client, "anna", "moderator")
    set_user_disabled(engine=client.app.state.engine, username="anna", disabled=True)
    assert client.get("/moderation", headers=HTML).status_code == 303


# -- throttling per (user name, client address) --------------------------------------------
def test_failures_from_one_address_never_lock_the_user_out_elsewhere(settings):
    settings = with_web(settings, trusted_proxies=["10.0.0.1"])
    proxy = make_client(settings, client=("10.0.0.1", 4000))
    create_user(engine=proxy.app.state.engine, username="li", role="moderator",
                password=PASSWORD)
    token = csrf_of(proxy)

    def attempt(password, address):
        return proxy.post("/login", headers={"x-forwarded-for": address, **HTML},
                          data={"username": "li", "password": password, "csrf_token": token})

    for _ in range(settings.web.max_failed_logins):
        assert attempt("guess", "198.51.100.7").status_code == 401
    refused = attempt(PASSWORD, "198.51.100.7")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert "too many failed logins" in refused.text
    assert attempt(PASSWORD, "203.0.113.9").status_code == 303  # the real user, elsewhere
    with session_scope(proxy.app.state.engine) as session:
        clients = {r.client for r in session.query(LoginFailure)}
    assert clients == {"198.51.100.7"}


def test_failures_on_made_up_names_lock_out_no_one(settings, client):
    create_user(engine=client.app.state.engine, username="li", role="moderator",
                password=PASSWORD)
    token = csrf_of(client)
    for n in range(12):
        client.post("/login", data={"username": f"nobody{n}", "password": "x",
                                    "csrf_token": token})
    assert client.post("/login", data={"username": "li", "password": PASSWORD,
                                       "csrf_token": token}).status_code == 303


def test_the_delay_grows_after_each_failure(engine):
    assert login_delay(4, 5) == timedelta(0)
    assert [login_delay(n, 5) for n in (5, 6, 7)] == [FIRST_DELAY, 2 * FIRST_DELAY,
                                                       4 * FIRST_DELAY]
    assert login_delay(40, 5) == THROTTLE_WINDOW
    now = utcnow()
    with session_scope(engine) as session:
        for seconds in (70, 60, 50, 40, 30, 20):  # six failures, the last 20 s ago
            session.add(LoginFailure(username="li", client="x", at=now - timedelta(
                seconds=seconds)))
        session.flush()
        with pytest.raises(LoginThrottled) as info:  # 6 failures: wait 60 s after the last
            check_throttle(session=session, username="li", client="x", max_failures=5,
                           now=now)
        assert 39 <= info.value.retry_after <= 41
        check_throttle(session=session, username="li", client="x", max_failures=5,
                       now=now + timedelta(seconds=41))
        check_throttle(session=session, username="li", client="y", max_failures=5, now=now)


# -- one trusted-proxy rule ----------------------------------------------------------------
@pytest.mark.parametrize("peer, forwarded, seen", [
    ("10.0.0.1", "203.0.113.9", "203.0.113.9"),            # from the proxy: believed
    ("10.0.0.1", "1.2.3.4, 203.0.113.9", "203.0.113.9"),    # right-most untrusted address
    ("10.0.0.1", "203.0.113.9, 10.0.0.2", "203.0.113.9"),   # a chain of trusted proxies
    ("192.0.2.50", "203.0.113.9", "192.0.2.50"),            # anyone else: ignored
    ("10.0.0.1", "not-an-ip", "10.0.0.1"),
])
def test_x_forwarded_for_is_believed_only_from_trusted_proxies(settings, peer, forwarded, seen):
    settings = with_web(settings, trusted_proxies=["10.0.0.0/24"])
    client = make_client(settings, client=(peer, 4000))
    token = csrf_of(client)
    client.post("/login", headers={"x-forwarded-for": forwarded},
                data={"username": "li", "password": "wrong-guess", "csrf_token": token})
    with session_scope(client.app.state.engine) as session:
        assert [r.client for r in session.query(LoginFailure)] == [seen]


def test_cqf_serve_and_cqf_run_leave_proxies_to_the_app(settings, monkeypatch):
    """Both start uvicorn without its own X-Forwarded-For handling."""
    import uvicorn

    from cqfriends import mainjob
    from cqfriends.web import cli

    seen = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.append(kw))
    monkeypatch.setattr(cli, "__name__", cli.__name__)
    monkeypatch.setattr("cqfriends.cli.load", lambda config: settings)
    monkeypatch.setattr("cqfriends.cli.open_database", lambda s: None)
    cli.serve_command(host="127.0.0.1", port=8001, config=None)

    class Stop(Exception):
        pass

    def config(app, **kw):
        seen.append(kw)
        raise Stop

    monkeypatch.setattr(uvicorn, "Config", config)
    with pytest.raises(Stop):
        mainjob.serve(settings, object(), host="127.0.0.1", port=8002)  # type: ignore[arg-type]
    assert [kw["proxy_headers"] for kw in seen] == [False, False]


# -- every query value validated: 400 with a message, never 500 ----------------------------
BAD_QUERIES = [
    "/api/v1/posts?cursor=p99999999999999999999999999", "/api/v1/posts?cursor=p%C2%B2",
    "/api/v1/posts?since=9999-12-31T23:59:59-23:59",
    "/api/v1/posts?since=0001-01-01T00:00:00%2B14:00",
    "/api/v1/changes?since=%C2%B2", "/api/v1/changes?since=99999999999999999999999",
    "/api/v1/posts?featured=maybe", "/api/v1/posts?limit=99999999999999999999",
    "/moderation?day=9999-12-31", "/moderation?day=0001-01-01", "/moderation?page=9999999999999",
    "/moderation?view=secret", "/admin/audit?until=9999-12-31", "/admin/audit?since=0001-01-01",
    "/admin/audit?page=99999999999999999999", "/reports?until=9999-12-31",
    "/reports?since=%C2%B2", "/site/%00", "/moderation?author=%00", "/api/v1/posts?lang=%00",
    "/reports/by_day.csv?since=%00",
]


@pytest.mark.parametrize("path", BAD_QUERIES)
def test_bad_query_values_are_a_clear_400(client, read_token, path):
    login(client, "root", "admin")
    response = client.get(path, headers={"Authorization": f"Bearer {read_token}", **HTML})
    assert response.status_code == 400, response.text[:300]
    assert response.headers["content-security-policy"]


@pytest.mark.parametrize("field", ["username", "password"])
def test_a_nul_in_a_login_form_is_a_400(client, field):
    token = csrf_of(client)
    data = {"username": "li", "password": "x", "csrf_token": token, field: "li\x00"}
    assert client.post("/login", data=data).status_code == 400


def test_random_query_values_never_break_a_page(client, read_token):
    from hypothesis import HealthCheck, given
    from hypothesis import settings as hsettings
    from hypothesis import strategies as st

    login(client, "root", "admin")
    pages = ["/moderation", "/admin/audit", "/reports", "/api/v1/posts", "/api/v1/changes",
             "/moderation/authors", "/admin/users", "/reports/by_day.csv", "/signage"]
    names = ["day", "since", "until", "cursor", "page", "view", "source", "lang", "flag",
             "order", "author", "limit", "featured", "action", "actor", "section", "lang"]
    values = st.one_of(st.text(max_size=40), st.integers().map(str),
                       st.sampled_from(["9999-12-31", "0001-01-01", "p" + "9" * 30, "²",
                                        "2026-13-45", "-1", "1e309", "\x00", "%00"]))

    @hsettings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(pages), st.dictionaries(st.sampled_from(names), values, max_size=3))
    def check(path, params):
        response = client.get(path, params=params,
                              headers={"Authorization": f"Bearer {read_token}", **HTML})
        assert response.status_code < 500, (path, params, response.text[:200])

    check()


# -- tokens never logged; headers on every response ----------------------------------------
def test_access_log_lines_never_show_a_token(client):
    logger = logging.getLogger("uvicorn.access")
    record = logger.makeRecord(logger.name, logging.INFO, __file__, 1,
                               '%s - "%s %s HTTP/%s" %d',
                               ("10.0.0.1:5000", "GET",
                                "/signage/playlist.json?token=cqf_SECRET&lang=en", "1.1", 200),
                               None)
    for f in logger.filters:
        f.filter(record)
    line = record.getMessage()
    assert "cqf_SECRET" not in line and "token=[redacted]&lang=en" in line


@pytest.mark.parametrize("path", ["/login", "/moderation", "/healthz", "/static/app.css",
                                  "/assets/fonts/fonts.css", "/api/v1/posts", "/nope",
                                  "/site/%00", "/reports"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path, headers=HTML)
    csp = response.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


# -- forms: CSRF token present, no inline script or style ----------------------------------
CONSOLE_PAGES = {
    "moderator": ["/moderation", "/moderation?view=approved", "/moderation?view=rejected",
                  "/moderation/authors", "/moderation/post/{key}", "/moderation?mode=one"],
    "admin": ["/moderation", "/moderation?view=approved", "/moderation?view=removed",
              "/admin/users", "/admin/tokens", "/admin/audit", "/admin/status", "/reports",
              "/moderation/post/{approved}"],
    "manager": ["/moderation", "/reports", "/moderation/authors"],
    "webteam": ["/admin/tokens"],
}


@pytest.mark.parametrize("role", CONSOLE_PAGES)
def test_every_rendered_form_carries_the_session_csrf_token(client, role):
    from tests.export.conftest import make_adder

    add = make_adder(client.app.state.engine)
    (key,) = add(make_post(), status="pending", section=None)
    (approved,) = add(make_post(), status="approved")
    add(make_post(), status="rejected", section=None)
    add(make_post(), status="removed")
    login(client, f"user-{role}", role)
    for path in CONSOLE_PAGES[role] + ["/login"]:
        html = client.get(path.format(key=key, approved=approved), headers=HTML).text
        meta = re.search(r'name="csrf-token" content="([^"]*)"', html).group(1)
        assert meta
        forms = re.findall(r'<form[^>]*method="post"[^>]*>(.*?)</form>', html, re.S)
        assert forms, path
        for form in forms:
            tokens = re.findall(r'name="csrf_token" value="([^"]*)"', form)
            assert tokens == [meta], (path, form[:200])
        scripts = re.findall(r"<script(?![^>]*(?:src=|application/json))[^>]*>", html)
        assert not scripts and "<style" not in html and " style=" not in html, path


def test_cqf_serve_never_writes_a_token_to_its_log(tmp_path, sqlite_url):
    """The real server and its access log: a signage screen's ?token= is redacted."""
    import os
    import subprocess

    import httpx

    from cqfriends.store.db import get_engine
    from cqfriends.store.tokens import create_token
    from tests.conftest import ROOT
    from tests.processes import CQF, free_port, wait_for

    with session_scope(get_engine(sqlite_url)) as session:
        token = create_token(session=session, name="screen")
    port = free_port()
    env = {**os.environ, "CQF_DATABASE_URL": sqlite_url, "CQF_CONFIG": str(ROOT / "config.yaml")}
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:  # uvicorn writes its access log to stdout
        proc = subprocess.Popen([CQF, "serve", "--port", str(port)], cwd=tmp_path, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        def answers() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/healthz").status_code > 0
            except httpx.HTTPError:
                return False

        wait_for(answers, 30, proc)
        response = httpx.get(f"http://127.0.0.1:{port}/signage/playlist.json",
                             params={"token": token, "lang": "en"})
        assert response.status_code == 200
        wait_for(lambda: "playlist.json" in log.read_text(), 10, proc)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    text = log.read_text()
    assert "token=[redacted]" in text and token not in text
