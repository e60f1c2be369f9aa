"""One console for the browser tests of a module: the app on a thread, staff accounts
logged in once (their browser state reused), data reset between tests.

``console`` (module scope) yields a ``Console``; ``console.page(user)`` opens a page
logged in as ``user``; ``console.add(post, status=...)`` stores a post in a state.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

import cqfriends.store.users
from cqfriends.moderation.queue import forget_counts
from cqfriends.normalize.post import Post
from cqfriends.store.db import get_engine, migrate, session_scope
from cqfriends.store.models import (
    AuditEntry,
    AuthorRule,
    DedupKey,
    MediaItem,
    MetricSnapshot,
    PostRow,
    utcnow,
)
from cqfriends.store.posts import upsert_posts
from cqfriends.store.users import create_user, set_user_locale
from cqfriends.web.app import create_app
from tests.conftest import make_settings
from tests.web.browser import new_page, serve_in_thread

PASSWORD = "chongqing-2026"
STAFF = {"li": ("moderator", "en"), "wang": ("moderator", "zh-Hans"), "root": ("admin", "en"),
         "zhao": ("admin", "zh-Hans"), "mgr": ("manager", "zh-Hans"), "web": ("webteam", "en")}


@dataclass
class Console:
    url: str
    app: Any
    browser: Any
    states: dict[str, Any] = field(default_factory=dict)

    @property
    def engine(self) -> Any:
        return self.app.state.engine

    @property
    def settings(self) -> Any:
        return self.app.state.settings

    def page(self, user: str, path: str = "/moderation") -> Any:
        """A page logged in as ``user`` (logged in once per module, then its cookies reused)."""
        if user not in self.states:
            page = new_page(self.browser)
            page.goto(self.url + "/login")
            page.fill("input[name=username]", user)
            page.fill("input[name=password]", PASSWORD)
            page.click("form[action='/login'] button[type=submit]")
            page.wait_for_url(re.compile(r"/moderation"))
            self.states[user] = page.context.storage_state()
            page.context.close()
        page = new_page(self.browser, storage_state=self.states[user])
        page.goto(self.url + path)
        return page

    def add(self, *posts: Post, status: str = "pending", **values: Any) -> list[str]:
        with session_scope(self.engine, write=True) as session:
            upsert_posts(session=session, posts=list(posts))
            for post in posts:
                session.execute(sa.update(PostRow).where(
                    PostRow.source == post.source, PostRow.source_id == post.source_id)
                    .values(status=status, checked_at=utcnow(), **values))
        forget_counts(self.engine)
        return [p.key for p in posts]

    def post(self, key: str) -> PostRow:
        source, _, source_id = key.partition(":")
        with session_scope(self.engine) as session:
            return session.execute(sa.select(PostRow).where(
                PostRow.source == source, PostRow.source_id == source_id)).scalar_one()

    def audit(self, action: str | None = None) -> list[AuditEntry]:
        with session_scope(self.engine) as session:
            query = sa.select(AuditEntry).order_by(AuditEntry.id)
            if action:
                query = query.where(AuditEntry.action == action)
            return list(session.execute(query).scalars())

    def reset(self) -> None:
        """No posts, decisions or rules left from an earlier test (accounts stay)."""
        with session_scope(self.engine, write=True) as session:
            for table in (AuditEntry, AuthorRule, DedupKey, MetricSnapshot, MediaItem, PostRow):
                session.execute(sa.delete(table))
        forget_counts(self.engine)


@pytest.fixture(scope="module")
def console(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    fast = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    real = cqfriends.store.users._hasher
    cqfriends.store.users._hasher = lambda: fast  # type: ignore[assignment]
    tmp = Path(tmp_path_factory.mktemp("console"))
    url = f"sqlite:///{tmp / 'cqf.db'}"
    migrate(url)
    settings = make_settings(tmp, url)
    settings = settings.model_copy(update={"moderation": settings.moderation.model_copy(
        update={"counts_seconds": 0})})
    app = create_app(settings)
    for name, (role, locale) in STAFF.items():
        create_user(engine=app.state.engine, username=name, role=role, password=PASSWORD)
        set_user_locale(engine=app.state.engine, username=name, locale=locale)
    try:
        with serve_in_thread(app) as base:
            yield Console(base, app, browser)
    finally:
        cqfriends.store.users._hasher = real  # type: ignore[assignment]
        get_engine(url).dispose()


@pytest.fixture
def fresh(console: Console) -> Console:
    console.reset()
    return console


def forms_without_csrf(page: Any) -> list[str]:
    """POST forms of the page whose csrf_token is missing or empty (each would be a 403)."""
    return page.evaluate("""() => [...document.querySelectorAll('form')]
        .filter(f => f.method.toLowerCase() === 'post')
        .filter(f => { const t = f.querySelector('input[name=csrf_token]');
                       const meta = document.querySelector('meta[name=csrf-token]').content;
                       return !t || !t.value || t.value !== meta; })
        .map(f => f.getAttribute('action') + ' ' + f.outerHTML.slice(0, 80))""")
