"""Fixtures of the web tests.

``browser``/``page`` drive Debian's Chromium (browser.py), ``console``/``fresh`` a
console on a thread with staff logged in (console_app.py); ``client`` is a
TestClient on the test database (both backends); ``add_posts`` stores posts in
a given state; ``read_token``/``auth`` are a feed read token and its header;
``archive`` archives the posts' media offline.
"""

import pytest

from cqfriends.store.db import session_scope
from cqfriends.store.tokens import create_token
from tests.conftest import make_settings
from tests.export.archived import archive_all
from tests.export.conftest import make_adder
from tests.web.console_app import console, fresh  # noqa: F401
from tests.web.sessions import make_client


@pytest.fixture
def add_posts(engine):
    return make_adder(engine)


@pytest.fixture
def client(tmp_path, db_url):
    return make_client(make_settings(tmp_path, db_url))


@pytest.fixture
def archive(engine, tmp_path, db_url):
    """``archive(files=..., missing=...)``: archive the posts' media now, offline."""
    return lambda **kw: archive_all(engine, make_settings(tmp_path, db_url), **kw)


@pytest.fixture
def read_token(engine) -> str:
    with session_scope(engine) as session:
        return create_token(session=session, name="web-team")


@pytest.fixture
def auth(read_token) -> dict[str, str]:
    return {"Authorization": f"Bearer {read_token}"}
