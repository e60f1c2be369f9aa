"""Authors blocked or trusted from the console: stored, audited, applied at once, read by
the checks and the souvenir draw; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from cqfriends.errors import BadInput, Forbidden, NotFound
from cqfriends.export.draw import run_draw
from cqfriends.moderation.authors import author_rules, set_author_rule
from cqfriends.moderation.checks.runner import run_checks
from cqfriends.normalize.post import Author
from cqfriends.store.audit import list_audit
from cqfriends.store.db import session_scope
from cqfriends.store.posts import get_post, upsert_posts
from cqfriends.store.users import create_user, find_user
from tests.conftest import make_settings
from tests.export.conftest import make_adder
from tests.factories import make_post
from tests.moderation.test_queue import add_pending
from tests.web.sessions import fast_passwords  # noqa: F401

EVE = Author(id="666", name="Eve", handle="Eve_CQ")


@pytest.fixture
def settings(tmp_path, db_url):
    return make_settings(tmp_path, db_url)


@pytest.fixture
def li(engine):
    create_user(engine=engine, username="li", role="moderator", password="long-enough")
    create_user(engine=engine, username="mgr", role="manager", password="long-enough")
    return find_user(engine=engine, username="li")


def codes(engine, key):
    with session_scope(engine) as session:
        return [f["code"] for f in get_post(session=session, key=key).flags]


def test_a_block_flags_the_authors_undecided_posts_at_once(engine, settings, li):
    keys = add_pending(engine, [make_post(author=EVE), make_post(author=EVE), make_post()])
    changed = set_author_rule(engine=engine, settings=settings, user=li, source="twitter",
                              key="666", rule="block", label="Eve", note="spam bot")
    assert changed == 2
    assert [("blocked-author" in codes(engine, k)) for k in keys] == [True, True, False]
    with session_scope(engine) as session:
        (entry,) = list_audit(session=session)
    assert (entry.action, entry.actor, entry.detail["author"]) == ("author-block", "li",
                                                                   "twitter:666")
    set_author_rule(engine=engine, settings=settings, user=li, source="twitter", key="666",
                    rule="trust")
    assert "allowed-author" in codes(engine, keys[0])
    assert "blocked-author" not in codes(engine, keys[0])
    set_author_rule(engine=engine, settings=settings, user=li, source="twitter", key="666",
                    rule=None)
    assert not {"allowed-author", "blocked-author"} & set(codes(engine, keys[0]))
    stored, from_config = author_rules(engine=engine, settings=settings)
    assert stored == [] and from_config == []


def test_handles_are_case_folded_and_the_checks_read_stored_rules(engine, settings, li):
    set_author_rule(engine=engine, settings=settings, user=li, source="twitter",
                    key="@eve_cq", rule="block")
    later = make_post(author=Author(id="", name="Eve", handle="Eve_CQ"))
    with session_scope(engine) as session:
        upsert_posts(session=session, posts=[later])
    run_checks(engine=engine, settings=settings)  # a post collected after the rule
    assert "blocked-author" in codes(engine, later.key)


@pytest.mark.parametrize("kwargs, error", [
    ({"source": "myspace", "key": "1", "rule": "block"}, BadInput),
    ({"source": "twitter", "key": "", "rule": "block"}, BadInput),
    ({"source": "twitter", "key": "x" * 200, "rule": "block"}, BadInput),
    ({"source": "twitter", "key": "1", "rule": "ban"}, BadInput),
    ({"source": "twitter", "key": "1", "rule": None}, NotFound),
])
def test_bad_rules_are_refused(engine, settings, li, kwargs, error):
    with pytest.raises(error):
        set_author_rule(engine=engine, settings=settings, user=li, **kwargs)


def test_managers_only_read_the_rules(engine, settings, li):
    with pytest.raises(Forbidden):
        set_author_rule(engine=engine, settings=settings, source="twitter", key="1",
                        rule="block", user=find_user(engine=engine, username="mgr"))


def test_the_draw_skips_blocked_authors_and_the_campaigns_own_accounts(engine, tmp_path,
                                                                      db_url, li):
    settings = make_settings(tmp_path, db_url)
    settings = settings.model_copy(update={"campaign": settings.campaign.model_copy(update={
        "own_accounts": ["facebook:104900000000001"]})})
    page = Author(id="104900000000001", name="Chongqing International Media Center")
    make_adder(engine)(make_post(author=EVE), make_post(source="facebook", author=page),
                       make_post(author=Author(id="7", name="李明", handle="liming")))
    set_author_rule(engine=engine, settings=settings, user=li, source="twitter", key="666",
                    rule="block")
    result = run_draw(engine=engine, settings=settings, n=5, seed="s")
    assert [(w["entry"], w["name"], w["handle"]) for w in result["winners"]] == [
        ("twitter:7", "李明", "liming")]
