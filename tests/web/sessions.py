"""Helpers for web tests: an app on a test database and logged-in TestClients."""

from __future__ import annotations

import re

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

import cqfriends.store.users
from cqfriends.store.users import create_user
from cqfriends.web.app import create_app

PASSWORD = "chongqing-2026"


@pytest.fixture(autouse=True)
def fast_passwords(monkeypatch):
    """Cheap argon2 parameters: the real ones cost ~0.3 s a hash on a busy CI machine."""
    fast = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    monkeypatch.setattr(cqfriends.store.users, "_hasher", lambda: fast)


def make_client(settings, client: tuple[str, int] = ("testclient", 50000)) -> TestClient:
    """A client of a new app on ``settings``; ``client`` is the peer address it connects from."""
    return TestClient(create_app(settings), follow_redirects=False, client=client)


def csrf_of(client: TestClient, path: str = "/login") -> str:
    html = client.get(path, headers={"accept": "text/html"}).text
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def login(client: TestClient, username: str, role: str | None = None) -> str:
    """Create ``username`` (if ``role``) and log in; return the session's CSRF token."""
    if role:
        create_user(engine=client.app.state.engine, username=username, role=role,
                    password=PASSWORD)
    token = csrf_of(client)
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": token, "next": "/moderation"})
    assert response.status_code == 303, response.text
    return csrf_of(client, "/login")
