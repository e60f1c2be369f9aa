"""Admin and staff pages in Debian's Chromium, with the mouse: takedown with its
confirmation, the authors panel, users and read tokens; in English and in Chinese."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.factories import make_post
from tests.web.browser import wait_until
from tests.web.console_app import forms_without_csrf
from tests.web.test_browser_console import card, check_page, keys_on, reloads

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("admin, confirm", [("root", "Confirm takedown"), ("zhao", "确认下架")])
def test_takedown_asks_for_confirmation_and_a_reason(fresh, admin, confirm):
    (key,) = fresh.add(make_post(), status="approved", section="mobile", decided_by="li")
    page = fresh.page(admin, "/moderation?view=approved")
    panel = card(page, key).locator("details.takedown")
    button = panel.get_by_role("button", name=confirm)
    assert not button.is_visible()  # one click is never a takedown
    panel.locator("summary").click()
    button.click()  # no reason yet: the browser refuses to send the form
    assert fresh.post(key).status == "approved"
    panel.locator("input[name=reason]").fill("author-request")
    reloads(page, button)
    post = fresh.post(key)
    assert (post.status, post.reason, post.featured) == ("removed", "author-request", False)
    assert fresh.audit("takedown")[0].detail["note"] is None
    page.locator('.views [data-view="removed"]').click()
    page.wait_for_url(re.compile(r"view=removed"))
    assert keys_on(page) == [key]
    reloads(page, card(page, key).locator("button[value=requeue]"))  # an admin may restore it
    assert fresh.post(key).status == "pending"
    check_page(page)
    page.context.close()


def test_moderators_never_see_a_takedown(fresh):
    (key,) = fresh.add(make_post(), status="approved", section="mobile")
    page = fresh.page("li", "/moderation?view=approved")
    assert card(page, key).locator("details.takedown").count() == 0
    page.context.close()


@pytest.mark.parametrize("user, block, blocked", [("li", "Block author", "blocked"),
                                                  ("wang", "屏蔽作者", "已屏蔽")])
def test_block_and_trust_an_author_from_a_card_and_the_authors_page(fresh, user, block,
                                                                     blocked):
    from cqfriends.normalize.post import Author

    eve = Author(id="666", name="Eve", handle="eve_cq")
    keys = fresh.add(make_post(author=eve), make_post(author=eve), make_post())
    page = fresh.page(user)
    first = card(page, keys[0])
    first.locator("details.author-panel summary").click()
    first.locator("details.author-panel input[name=note]").fill("spams every day")
    reloads(page, first.get_by_role("button", name=block))
    for key in keys[:2]:  # applied at once to the author's undecided posts
        assert "blocked-author" in [f["code"] for f in fresh.post(key).flags]
        assert blocked in card(page, key).locator("summary").text_content()
    assert "blocked-author" not in [f["code"] for f in fresh.post(keys[2]).flags]
    entry = fresh.audit("author-block")[0]
    assert (entry.actor, entry.detail["author"], entry.reason) == (user, "twitter:666",
                                                                   "spams every day")
    page.goto(fresh.url + "/moderation/authors")
    row = page.locator('#rules tr[data-author="twitter:666"]')
    assert "Eve @eve_cq" in row.text_content()
    check_page(page)
    reloads(page, row.locator("button[value=clear]"))
    assert page.locator('#rules tr[data-author="twitter:666"]').count() == 0
    assert "blocked-author" not in [f["code"] for f in fresh.post(keys[0]).flags]
    form = page.locator("#add-rule")
    form.locator("select[name=source]").select_option("douyin")
    form.locator("input[name=key]").fill("@Leo_CQ")
    reloads(page, form.locator("button[value=trust]"))
    assert page.locator('#rules tr[data-author="douyin:@leo_cq"]').count() == 1
    check_page(page)
    page.context.close()


def test_an_admin_manages_users_with_the_mouse(fresh):
    page = fresh.page("root", "/admin/users")
    check_page(page)
    form = page.locator("#add-user")
    form.locator("input[name=username]").fill("chen")
    form.locator("input[name=password]").fill("long-enough-1")
    form.get_by_role("button", name="Add").click()  # no role chosen: not sent
    assert page.locator('#users tr[data-user="chen"]').count() == 0
    form.locator("select[name=role]").select_option("manager")
    reloads(page, form.get_by_role("button", name="Add"))
    row = page.locator('#users tr[data-user="chen"]')
    assert "manager" in row.text_content()

    row.locator("select[name=role]").select_option("moderator")
    reloads(page, row.get_by_role("button", name="Set role"))
    assert "moderator" in page.locator('#users tr[data-user="chen"]').text_content()

    reloads(page, page.locator('#users tr[data-user="chen"]').get_by_role(
        "button", name="Reset password"))
    password = page.locator("#new-password").text_content()
    assert len(password) >= 12
    with httpx.Client(base_url=fresh.url) as client:  # the new password works, once shown
        login = client.get("/login")
        token = re.search(r'name="csrf-token" content="([^"]+)"', login.text).group(1)
        assert client.post("/login", data={"username": "chen", "password": password,
                                           "csrf_token": token}).status_code == 303
        assert client.get("/moderation").status_code == 200
        reloads(page, page.locator('#users tr[data-user="chen"]').get_by_role(
            "button", name="Deactivate"))
        assert "deactivated" in page.locator('#users tr[data-user="chen"]').text_content()
        assert client.get("/moderation").status_code == 303  # the session ended with it
    reloads(page, page.locator('#users tr[data-user="chen"]').get_by_role(
        "button", name="Reactivate"))
    assert "active" in page.locator('#users tr[data-user="chen"]').text_content()
    assert [e.action for e in fresh.audit()][-5:] == [
        "user-add", "user-role", "user-password", "user-deactivate", "user-reactivate"]
    check_page(page)
    page.context.close()


@pytest.mark.parametrize("user, create", [("root", "Create"), ("web", "Create")])
def test_read_tokens_created_once_used_and_revoked(fresh, user, create):
    page = fresh.page(user, "/admin/tokens")
    name = f"screen-{user}"
    page.locator("#create-token input[name=name]").fill(name)
    page.locator("#create-token").get_by_role("button", name=create).click()
    page.wait_for_selector("#new-token")
    token = page.locator("#new-token").input_value()
    assert token.startswith("cqf_")
    row = page.locator(f'#tokens tr[data-token="{name}"]')
    assert "never" in row.text_content()
    assert httpx.get(fresh.url + "/feeds/approved.json",
                     headers={"Authorization": f"Bearer {token}"}).status_code == 200
    page.goto(fresh.url + "/admin/tokens")  # the token is never shown again
    assert token not in page.content()
    row = page.locator(f'#tokens tr[data-token="{name}"]')
    assert "never" not in row.text_content()  # last used: now
    row.locator("summary").click()
    row.get_by_role("button", name=re.compile("Confirm")).click()
    wait_until(page, f"document.querySelector('#tokens tr[data-token=\"{name}\"]')"
               ".textContent.includes('–') === false")
    from cqfriends.store.db import session_scope
    from cqfriends.store.tokens import check_token

    with session_scope(fresh.engine) as session:
        assert check_token(session=session, token=token) is None  # refused from now on
    assert fresh.audit("token-revoke")[-1].actor == user
    check_page(page)
    page.context.close()


def test_staff_reach_theme_page_signage_and_feeds_from_the_header(fresh):
    fresh.add(make_post(text="Cable car at dusk"), status="approved", section="mobile",
              featured=True)
    page = fresh.page("mgr")
    nav = page.locator("header nav")
    for label in ("审核队列", "作者", "数据报告", "专题页", "LED 屏", "数据源"):
        assert nav.get_by_role("link", name=label).count() == 1
    nav.get_by_role("link", name="数据源").click()
    assert "Cable car at dusk" in page.content()  # a staff session opens the feed
    page.goto(fresh.url + "/moderation")
    nav.get_by_role("link", name="LED 屏").click()
    # A staff session opens the signage without a token; the work has no archived copy
    # yet, so the screen holds the campaign's card instead of a hot-linked picture.
    wait_until(page, "!document.querySelector('#empty').hidden")
    assert "/signage" in page.url and page.locator("#empty").text_content().strip()
    assert page.errors == []
    page.context.close()


def test_the_language_switch_in_the_header(fresh):
    page = fresh.page("li")
    assert page.locator("h1").text_content().startswith("Queue")
    reloads(page, page.locator("header").get_by_role("button", name="简体中文"))
    assert page.locator("h1").text_content().startswith("审核队列")
    again = fresh.page("li")  # stored with the user
    assert again.locator("h1").text_content().startswith("审核队列")
    reloads(again, again.locator("header").get_by_role("button", name="English"))
    assert again.locator("h1").text_content().startswith("Queue")
    assert forms_without_csrf(again) == []
    page.context.close()
    again.context.close()
