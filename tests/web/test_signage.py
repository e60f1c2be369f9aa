import json
import re

import pytest

from store.db import session_scope
from store.tokens import create_token
from tests.conftest import make_settings
from tests.export.conftest import make_adder, nasty_post
from tests.factories import make_post
from tests.web.sessions import make_client


@pytest.fixture
def add_posts(engine):
    return make_adder(engine)


@pytest.fixture
def client(tmp_path, db_url):
    return make_client(make_settings(tmp_path, db_url))


@pytest.fixture
def token(engine):
    with session_scope(engine) as session:
        return create_token(session=session, name="led-screen")


def test_signage_needs_a_token_which_may_ride_in_the_url(client, token):
    assert client.get("/signage").status_code == 401
    page = client.get(f"/signage?token={token}")
    assert page.status_code == 200
    assert f"/signage/playlist.json?token={token}" in page.text
    assert client.get(f"/signage/playlist.json?token={token}").status_code == 200


def test_signage_serves_featured_works_inertly(client, token, add_posts):
    add_posts(nasty_post(), featured=True)
    add_posts(make_post(text="Not featured"))
    html = client.get(f"/signage?token={token}").text
    assert "<script>window" not in html and "<img src=x" not in html
    embedded = json.loads(re.search(r'id="initial-playlist" type="application/json">(.*?)'
                                    r"</script>", html, re.S).group(1))
    assert [i["caption"][:12] for i in embedded["items"]] == ["Hotpot night"]
    playlist = client.get(f"/signage/playlist.json?token={token}").json()
    assert playlist["items"] == embedded["items"]
