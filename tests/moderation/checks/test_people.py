"""One person across platforms in the checks: linked, folded, asked; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from cqfriends.moderation.checks.runner import run_checks
from cqfriends.normalize.post import Author, Media
from cqfriends.settings import Settings
from cqfriends.store.db import session_scope
from cqfriends.store.identity import persons_of, put_answer
from cqfriends.store.posts import get_post, post_public_dict, upsert_posts
from tests.conftest import make_settings
from tests.factories import CREATED, make_post

MEI_X = Author(id="11", name="Mei Lin Tan", handle="meilintan", url="https://x.com/meilintan")
WORK = ("Sunset over Hongyadong tonight, the lights on the river are unreal and the hotpot "
        "after was perfect #ChongqingFriends #sunset")
EDITED = "＃chongqingfriends Sunset over Hongyadong tonight!! The lights on the river are " \
         "unreal, and the hotpot after was perfect 🌇"


@pytest.fixture
def settings(tmp_path, db_url) -> Settings:
    return make_settings(tmp_path, db_url)


def check(engine: Engine, settings: Settings, posts: list) -> None:
    with session_scope(engine) as session:
        upsert_posts(session=session, posts=posts)
    run_checks(engine=engine, settings=settings)


def public(engine: Engine, key: str) -> dict:
    with session_scope(engine) as session:
        row = get_post(session=session, key=key)
        assert row is not None
        return post_public_dict(row)


def pair(other: Author, *, hours: int = 3, text: str = EDITED) -> list:
    return [make_post(source_id="1001", author=MEI_X, text=WORK,
                      media=[Media("photo", "https://pbs.twimg.com/media/a.jpg")]),
            make_post(source="facebook", source_id="fb_1", author=other, lang=None, text=text,
                      created_at=CREATED + timedelta(hours=hours),
                      media=[Media("photo", "https://scontent.xx.fbcdn.net/b.jpg")])]


def test_a_strong_match_links_the_accounts_and_folds(engine, settings):
    check(engine, settings, pair(Author(id="100077", name="Mei T.")))
    row = public(engine, "facebook:fb_1")
    assert row["status"] == "duplicate" and row["duplicate_of"] == "twitter:1001"
    detail = next(f["detail"] for f in row["flags"] if f["code"] == "cross-post")
    assert "by the same person" in detail and "names 0.85 alike" in detail
    with session_scope(engine) as session:
        people = persons_of(session=session, accounts=[("twitter", "11"), ("facebook", "100077")])
    assert len(people) == 2 and len(set(people.values())) == 1


def test_weaker_evidence_asks_the_moderator(engine, settings):
    check(engine, settings, pair(Author(id="100078", name="Mei ✈️ Chongqing")))
    row = public(engine, "facebook:fb_1")
    assert row["status"] == "pending" and row["duplicate_of"] is None
    codes = [f["code"] for f in row["flags"]]
    assert "same-person" in codes and "possible-copy" not in codes
    detail = next(f["detail"] for f in row["flags"] if f["code"] == "same-person")
    assert detail.startswith("same work as twitter:1001 by twitter:11? ")


def test_beyond_cross_post_hours_a_copy_stays_a_copy(engine, settings):
    check(engine, settings, pair(Author(id="100079", name="Mei T."), hours=72))
    row = public(engine, "facebook:fb_1")
    assert [f["code"] for f in row["flags"] if f["code"] != "off-topic"][:1] == ["possible-copy"]


def test_a_split_answer_beats_the_heuristic(engine, settings):
    with session_scope(engine) as session:
        put_answer(session=session, a=("twitter", "11"), b=("facebook", "100080"),
                   answer="different", actor="mod")
    check(engine, settings, pair(Author(id="100080", name="Mei Lin Tan")))
    row = public(engine, "facebook:fb_1")
    assert row["status"] == "pending"
    assert "possible-copy" in [f["code"] for f in row["flags"]]


def _same_photo(other: Author, *, hours: int = 3) -> list:
    posts = pair(other, hours=hours)
    posts[1].media = list(posts[0].media)  # the very same picture, posted again
    return posts


def test_a_screen_name_with_the_same_caption_and_photo_folds(engine, settings):
    check(engine, settings, _same_photo(Author(id="100081", name="sunnyday88")))
    row = public(engine, "facebook:fb_1")
    assert row["status"] == "duplicate" and row["duplicate_of"] == "twitter:1001"
    detail = next(f["detail"] for f in row["flags"] if f["code"] == "cross-post")
    assert "a screen name" in detail


def test_another_persons_name_with_the_same_caption_and_photo_is_asked(engine, settings):
    check(engine, settings, _same_photo(Author(id="100082", name="Tom Baker")))
    row = public(engine, "facebook:fb_1")
    assert row["status"] == "pending" and row["duplicate_of"] is None
    assert "same-person" in [f["code"] for f in row["flags"]]


def test_the_same_name_written_another_way_folds_beyond_cross_post_hours(engine, settings):
    check(engine, settings, pair(Author(id="100083", name="Dr. MEI TAN 🇸🇬"), hours=60))
    row = public(engine, "facebook:fb_1")
    assert row["status"] == "duplicate" and row["duplicate_of"] == "twitter:1001"
    assert "the same name" in next(f["detail"] for f in row["flags"] if f["code"] == "cross-post")
