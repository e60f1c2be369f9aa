"""'Same person?' on a card, in Chromium: confirm folds, split keeps it queued; zh and en.

Screenshots of the card and of the authors panel (linked accounts) go to
/tmp/shots-issue-15/ for a person to look at.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from cqfriends.moderation.checks.runner import run_checks
from cqfriends.moderation.queue import forget_counts
from cqfriends.normalize.post import Author, Media
from cqfriends.store.db import session_scope
from cqfriends.store.models import IdentityAnswer, Person, PersonAccount
from cqfriends.store.posts import upsert_posts
from tests.factories import CREATED, make_post
from tests.web.browser import wait_until
from tests.web.console_app import forms_without_csrf

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots-issue-15")
MEI_X = Author(id="11", name="Mei Lin Tan", handle="meilintan")
MEI_FB = [Author(id="100078", name="Mei ✈️ Chongqing"), Author(id="100079", name="Mei in CQ")]
WORKS = ["Sunset over Hongyadong tonight, the lights on the river are unreal and the hotpot "
         "after was perfect #ChongqingFriends",
         "Took the cable car across the Yangtze at dawn, fog everywhere and the city waking "
         "up below us #ChongqingFriends"]
LANGUAGES = [pytest.param(("li", "en", "Same person?", "Confirm: same person",
                           "Split: two people"), id="en"),
             pytest.param(("wang", "zh", "是同一个人吗？", "确认：同一个人", "分开：两个人"),
                          id="zh")]


@pytest.fixture
def people(fresh):
    with session_scope(fresh.engine, write=True) as session:
        for table in (PersonAccount, Person, IdentityAnswer):
            session.execute(sa.delete(table))
    posts = []
    for n, work in enumerate(WORKS):
        at = CREATED + timedelta(days=n)
        posts += [make_post(source_id=f"x{n}", author=MEI_X, text=work, created_at=at),
                  make_post(source="facebook", source_id=f"fb{n}", author=MEI_FB[n], lang=None,
                            text=work + " 🌇", created_at=at + timedelta(hours=3),
                            media=[Media("photo", f"https://scontent.xx.fbcdn.net/{n}.jpg")])]
    with session_scope(fresh.engine, write=True) as session:
        upsert_posts(session=session, posts=posts)
    run_checks(engine=fresh.engine, settings=fresh.settings)
    forget_counts(fresh.engine)
    return fresh


def question(page, key: str):
    return page.locator(f'#queue .card[data-key="{key}"] .same-person')


@pytest.mark.parametrize("who", LANGUAGES)
def test_confirm_and_split_with_the_mouse(people, who):
    user, lang, asked, confirm, split = who
    SHOTS.mkdir(exist_ok=True)
    page = people.page(user)
    wait_until(page, "document.querySelectorAll('#queue .same-person').length === 2")
    assert asked in question(page, "facebook:fb0").text_content()
    assert forms_without_csrf(page) == []
    question(page, "facebook:fb0").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"card-same-person-{lang}.png"), full_page=True)

    with page.expect_navigation(timeout=5000):
        question(page, "facebook:fb0").get_by_role("button", name=confirm).click()
    assert people.post("facebook:fb0").status == "duplicate"
    assert people.post("facebook:fb0").duplicate_of == "twitter:x0"
    wait_until(page, "!document.querySelector('#queue .card[data-key=\"facebook:fb0\"]')")

    with page.expect_navigation(timeout=5000):
        question(page, "facebook:fb1").get_by_role("button", name=split).click()
    after = people.post("facebook:fb1")
    assert after.status == "pending"
    assert "possible-copy" in [f["code"] for f in after.flags]
    assert question(page, "facebook:fb1").count() == 0
    assert [e.action for e in people.audit()][-2:] == ["identity-confirm", "identity-split"]
    assert page.errors == []

    page.goto(people.url + "/moderation/authors")
    rows = page.locator("#people tr[data-person]")
    assert rows.count() == 1 and "facebook:100078" in rows.text_content()
    page.screenshot(path=str(SHOTS / f"authors-people-{lang}.png"), full_page=True)
    assert page.errors == []
