import csv
import io

import feedparser
import pytest

from tests.export.conftest import nasty_post, set_state
from tests.factories import make_post


@pytest.mark.parametrize("path", ["/feeds/approved.json", "/feeds/approved.atom",
                                  "/feeds/approved.csv"])
def test_feeds_need_a_token_by_default(client, path):
    response = client.get(path)
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    assert client.get(path + "?token=anything").status_code == 401


def test_json_feed_over_http(client, auth, add_posts, engine):
    (shown,) = add_posts(nasty_post())
    (gone,) = add_posts(make_post(text="Taken down"))
    set_state(engine, [gone], status="removed")
    response = client.get("/feeds/approved.json", headers=auth)
    assert response.headers["content-type"].startswith("application/feed+json")
    feed = response.json()
    assert feed["version"] == "https://jsonfeed.org/version/1.1" and feed["title"]
    assert [i["id"] for i in feed["items"]] == [shown]
    assert "&lt;script&gt;" in feed["items"][0]["content_html"]
    again = client.get("/feeds/approved.json", headers={**auth,
                                                        "If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


def test_atom_over_http_parses_cleanly(client, auth, add_posts):
    add_posts(nasty_post(), make_post(text="重庆小面 & hotpot"))
    parsed = feedparser.parse(client.get("/feeds/approved.atom", headers=auth).text)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert len(parsed.entries) == 2


def test_csv_download_streams_every_approved_post(client, auth, add_posts):
    add_posts(*(make_post() for _ in range(3)))
    add_posts(make_post(), status="rejected")
    response = client.get("/feeds/approved.csv", headers=auth)
    assert response.headers["content-disposition"].startswith("attachment")
    assert len(list(csv.DictReader(io.StringIO(response.text)))) == 3
