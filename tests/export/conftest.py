"""Helpers for export tests: posts put straight into a moderation state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cqfriends.normalize.post import Author, Media, Post
from cqfriends.store.db import session_scope
from cqfriends.store.models import PostRow, utcnow
from cqfriends.store.posts import upsert_posts
from tests.factories import make_post

NASTY_TEXT = ('Hotpot night <script>window.__pwned = 1</script> & "quotes" '
              "#ChongqingFriends")
NASTY_AUTHOR = Author(id="666", name="Eve<img src=x onerror=window.__pwned=2>", handle="eve",
                      url="javascript:alert(2)")
NASTY_MEDIA = [Media(type="photo", url="javascript:alert(3)"),
               Media(type="photo", url="https://pbs.twimg.com/media/hotpot.jpg")]


def set_state(engine: Engine, keys: list[str], **values: Any) -> None:
    """Moderation state set directly, as the decision code would."""
    values.setdefault("changed_at", utcnow())
    with session_scope(engine, write=True) as session:
        for key in keys:
            source, _, source_id = key.partition(":")
            session.execute(sa.update(PostRow).where(PostRow.source == source,
                                                     PostRow.source_id == source_id)
                            .values(**values))


def make_adder(engine: Engine) -> Callable[..., list[str]]:
    """``add(*posts, status=..., section=..., featured=...)`` -> their keys."""
    def add(*posts: Post, status: str = "approved", section: str | None = "mobile",
            featured: bool = False) -> list[str]:
        posts = posts or (make_post(),)
        with session_scope(engine, write=True) as session:
            upsert_posts(session=session, posts=list(posts))
        keys = [p.key for p in posts]
        set_state(engine, keys, status=status, section=section, featured=featured,
                  decided_at=utcnow())
        return keys

    return add


@pytest.fixture
def add_posts(engine: Engine) -> Callable[..., list[str]]:
    return make_adder(engine)


def nasty_post(**overrides: Any) -> Post:
    return make_post(text=NASTY_TEXT, author=NASTY_AUTHOR, media=NASTY_MEDIA, **overrides)
