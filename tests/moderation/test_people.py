"""Confirm / split "same person?": remembered, audited, beating the score; both backends."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cqfriends.errors import Conflict, Forbidden
from cqfriends.moderation.checks.runner import run_checks
from cqfriends.moderation.people import answer_same_person
from cqfriends.normalize.post import Author, Media
from cqfriends.store.audit import list_audit
from cqfriends.store.db import session_scope
from cqfriends.store.identity import persons_of
from cqfriends.store.models import User
from cqfriends.store.posts import get_post, post_public_dict, upsert_posts
from tests.conftest import make_settings
from tests.factories import CREATED, make_post

MEI_X = Author(id="11", name="Mei Lin Tan", handle="meilintan")
MEI_FB = Author(id="100078", name="Mei ✈️ Chongqing")
MOD = User(username="mod", role="moderator", password_hash="x")
WORKS = [("Sunset over Hongyadong tonight, the lights on the river are unreal and the hotpot "
          "after was perfect #ChongqingFriends"),
         ("Took the cable car across the Yangtze at dawn, fog everywhere and the city waking "
          "up below us #ChongqingFriends")]


@pytest.fixture
def settings(tmp_path, db_url):
    return make_settings(tmp_path, db_url)


def cross_post(engine, settings, n: int, hour: int) -> str:
    """The work ``n`` on X, then on Facebook by MEI_FB: returns the Facebook post's key."""
    at = CREATED + timedelta(days=n)
    posts = [make_post(source_id=f"x{n}", author=MEI_X, text=WORKS[n], created_at=at),
             make_post(source="facebook", source_id=f"fb{n}", author=MEI_FB, lang=None,
                       text=WORKS[n] + " 🌇", created_at=at + timedelta(hours=hour),
                       media=[Media("photo", f"https://scontent.xx.fbcdn.net/{n}.jpg")])]
    with session_scope(engine) as session:
        upsert_posts(session=session, posts=posts)
    run_checks(engine=engine, settings=settings)
    return f"facebook:fb{n}"


def public(engine, key):
    with session_scope(engine) as session:
        return post_public_dict(get_post(session=session, key=key))


def codes(row):
    return [f["code"] for f in row["flags"]]


def test_confirm_links_folds_and_is_remembered(engine, settings):
    key = cross_post(engine, settings, 0, 3)
    assert "same-person" in codes(public(engine, key))
    answer_same_person(engine=engine, user=MOD, key=key, answer="confirm")
    row = public(engine, key)
    assert row["status"] == "duplicate" and row["duplicate_of"] == "twitter:x0"
    assert "same-person" not in codes(row)
    assert "facebook:fb0" in next(f["detail"] for f in public(engine, "twitter:x0")["flags"]
                                  if f["code"] == "cross-post")
    with session_scope(engine) as session:
        linked = persons_of(session=session, accounts=[("twitter", "11"), ("facebook", "100078")])
        audit = list_audit(session=session)
    assert len(set(linked.values())) == 1 and len(linked) == 2
    assert audit[0].action == "identity-confirm" and audit[0].actor == "mod"
    assert audit[0].detail["accounts"] == ["facebook:100078", "twitter:11"]
    later = cross_post(engine, settings, 1, 5)  # the next cross-post folds without asking
    assert public(engine, later)["status"] == "duplicate"


def test_split_keeps_two_people_from_then_on(engine, settings):
    key = cross_post(engine, settings, 0, 3)
    answer_same_person(engine=engine, user=MOD, key=key, answer="split")
    row = public(engine, key)
    assert row["status"] == "pending" and codes(row).count("possible-copy") == 1
    with pytest.raises(Conflict):  # answered: no question left on the card
        answer_same_person(engine=engine, user=MOD, key=key, answer="confirm")
    later = cross_post(engine, settings, 1, 1)
    row = public(engine, later)
    assert row["status"] == "pending" and "same-person" not in codes(row)
    assert "possible-copy" in codes(row)


def test_only_moderators_answer(engine, settings):
    key = cross_post(engine, settings, 0, 3)
    with pytest.raises(Forbidden):
        answer_same_person(engine=engine, user=User(username="m", role="manager",
                                                    password_hash="x"), key=key, answer="split")
