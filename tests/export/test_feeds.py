import csv
import io
import json
import re

import feedparser
import pytest

from cqfriends.export.copies import public_rows
from cqfriends.export.feeds import csv_cell, write_atom, write_csv, write_json, write_jsonfeed
from cqfriends.export.present import safe_url
from cqfriends.store.db import session_scope
from cqfriends.store.exports import iter_approved
from tests.export.archived import archive_all
from tests.export.conftest import nasty_post, set_state
from tests.factories import make_post


@pytest.mark.parametrize("url, expected", [
    ("https://x.com/a/status/1", "https://x.com/a/status/1"),
    ("http://www.douyin.com/video/7301", "http://www.douyin.com/video/7301"),
    ("  https://x.com/a  ", "https://x.com/a"),
    ("javascript:alert(1)", ""),
    ("JaVaScRiPt:alert(1)", ""),
    ("java\tscript:alert(1)", ""),
    ("data:text/html,<script>", ""),
    ("//evil.example/x.js", ""),
    ("https:///nohost", ""),
    ("https://x.com/a\nb", ""),
    ("", ""),
    (None, ""),
])
def test_safe_url_keeps_only_absolute_http_urls(url, expected):
    assert safe_url(url) == expected


@pytest.mark.parametrize("value, expected", [
    ("=HYPERLINK(\"http://evil\")", "'=HYPERLINK(\"http://evil\")"),
    ("+1", "'+1"), ("@SUM(A1)", "'@SUM(A1)"), ("plain", "plain"), (5, 5),
])
def test_csv_cells_never_become_formulas(value, expected):
    assert csv_cell(value) == expected


@pytest.fixture
def rows(engine, add_posts, settings):
    """The approved posts with their media, archived first (offline), as the writers take them."""
    def load(public_url=None):
        archive_all(engine, settings)
        with session_scope(engine) as session:
            return list(public_rows(session, iter_approved(session=session), public_url))
    return load


def test_feeds_carry_only_approved_posts_and_drop_takedowns(engine, add_posts, rows, settings):
    (kept,) = add_posts(make_post(text="Approved hotpot"))
    add_posts(make_post(text="Pending hotpot"), status="pending")
    (gone,) = add_posts(make_post(text="Removed hotpot"))
    set_state(engine, [gone], status="removed")
    for text in (write_json(rows()), write_jsonfeed(rows(), settings),
                 write_atom(rows(), settings), write_csv(rows())):
        assert "Approved hotpot" in text
        assert "Pending hotpot" not in text and "Removed hotpot" not in text


def test_json_feed_has_the_required_fields_and_escapes_html(add_posts, rows, settings):
    add_posts(nasty_post())
    feed = json.loads(write_jsonfeed(rows(), settings))
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"]
    (item,) = feed["items"]
    assert item["id"] and item["content_text"].startswith("Hotpot night <script>")
    assert "<script>" not in item["content_html"] and "&lt;script&gt;" in item["content_html"]
    assert "javascript:" not in json.dumps(feed)
    (attachment,) = item["attachments"]  # the javascript: item was never fetched nor given
    assert re.fullmatch(r"/media/public/[0-9a-f]{64}/display", attachment["url"])
    assert attachment["mime_type"] == "image/jpeg" and item["image"] == attachment["url"]
    assert "url" not in item["authors"][0]  # the author's javascript: URL was dropped


def test_atom_parses_cleanly_in_feedparser(add_posts, rows, settings):
    add_posts(nasty_post(), make_post(text="Control \x0b char and 重庆火锅"))
    parsed = feedparser.parse(write_atom(rows(), settings))
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert len(parsed.entries) == 2
    texts = {e.content[0].value for e in parsed.entries}
    assert any(t.startswith("Hotpot night <script>") for t in texts)  # text, not markup
    assert all("javascript" not in link.href for e in parsed.entries for link in e.links)
    assert "Eve<img src=x onerror=window.__pwned=2> (@eve)" in {e.author for e in parsed.entries}


def test_empty_atom_feed_is_still_valid(rows, settings):
    parsed = feedparser.parse(write_atom([], settings))
    assert not parsed.bozo and parsed.entries == []


def test_csv_has_a_header_and_one_row_per_post(add_posts, rows):
    add_posts(nasty_post(), make_post(text="=1+1 cheap trick"))
    table = list(csv.DictReader(io.StringIO(write_csv(rows()))))
    assert len(table) == 2
    assert {r["text"] for r in table} >= {"'=1+1 cheap trick"}
    assert all("javascript" not in r["media_urls"] + r["author_url"] for r in table)


def test_media_links_point_at_our_copies_under_public_url_and_keep_the_platform_link(
        add_posts, rows, settings):
    add_posts(make_post(text="Copies please"))
    posts = json.loads(write_json(rows("https://friends.example.org/")))["posts"]
    (media,) = posts[0]["media"]
    assert media["url"].startswith("https://friends.example.org/media/public/")
    assert media["url"].endswith("/display") and media["preview_url"].endswith("/thumb")
    assert media["source_url"].startswith("https://pbs.twimg.com/")
    assert media["state"] == "archived" and media["width"] and media["height"]
    table = list(csv.DictReader(io.StringIO(write_csv(rows()))))
    assert table[0]["media_urls"].startswith("/media/public/")  # unset: relative, never a Host
    assert table[0]["media_source_urls"].startswith("https://pbs.twimg.com/")


def test_a_work_not_archived_gives_no_media_link_only_its_source(engine, add_posts, settings):
    add_posts(make_post(text="Not fetched yet"))
    with session_scope(engine) as session:
        pairs = list(public_rows(session, iter_approved(session=session), None))
    (media,) = json.loads(write_json(pairs))["posts"][0]["media"]
    assert media["url"] == media["preview_url"] == "" and media["state"] == "pending"
    assert media["source_url"].startswith("https://")
