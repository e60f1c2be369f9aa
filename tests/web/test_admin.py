"""Admin pages: users, the audit log filters and its CSV download."""

from __future__ import annotations

import csv
import io

import pytest

from cqfriends.moderation.decisions import Decision, decide
from cqfriends.store.users import find_user
from tests.factories import make_post
from tests.moderation.test_queue import add_pending
from tests.web.sessions import fast_passwords, login, make_client  # noqa: F401

HTML = {"accept": "text/html"}


@pytest.fixture
def client(settings):
    return make_client(settings)


@pytest.fixture
def decided(client, settings):
    """Two decisions by li, one by anna (a note with a formula and markup)."""
    engine = client.app.state.engine
    keys = add_pending(engine, [make_post() for _ in range(3)])
    login(client, "li", "moderator")
    login(client, "anna", "moderator")
    li, anna = (find_user(engine=engine, username=n) for n in ("li", "anna"))
    decide(engine=engine, settings=settings, key=keys[0], user=li,
           decision=Decision("approve", section="mobile"))
    decide(engine=engine, settings=settings, key=keys[1], user=li,
           decision=Decision("reject", reason="spam"))
    decide(engine=engine, settings=settings, key=keys[2], user=anna,
           decision=Decision("reject", reason="off-topic", note='=cmd|"/c calc" <b>x</b>'))
    login(client, "root", "admin")
    return keys


def test_audit_filters_by_actor_and_action(client, decided):
    html = client.get("/admin/audit?actor=li&action=reject", headers=HTML).text
    assert decided[1] in html and decided[0] not in html and decided[2] not in html


def test_audit_escapes_notes(client, decided):
    html = client.get("/admin/audit", headers=HTML).text
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html


def test_audit_csv_download(client, decided):
    response = client.get("/admin/audit.csv?actor=anna")
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["actor"], r["action"], r["post_key"], r["reason"]) for r in rows] == [
        ("anna", "reject", decided[2], "off-topic")]
    assert rows[0]["note"].startswith("'=")  # no formula when opened in a spreadsheet


def test_bad_audit_day_is_400(client, decided):
    assert client.get("/admin/audit?since=last-week", headers=HTML).status_code == 400


def test_admin_adds_user_with_csrf(client):
    token = login(client, "root", "admin")
    data = {"username": "wang", "role": "manager", "password": "long-enough"}
    assert client.post("/admin/users", data=data).status_code == 403
    response = client.post("/admin/users", data={**data, "csrf_token": token})
    assert response.status_code == 303
    assert "wang" in client.get("/admin/users", headers=HTML).text


def test_moderator_cannot_add_users(client):
    token = login(client, "li", "moderator")
    response = client.post("/admin/users", headers=HTML, data={
        "username": "eve", "role": "admin", "password": "long-enough", "csrf_token": token})
    assert response.status_code == 403
