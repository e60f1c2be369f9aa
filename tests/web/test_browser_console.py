"""The moderation console in Debian's Chromium, as moderators use it: every card button and
the bulk bar with the mouse, the same flows with the keyboard, in English and in Chinese.

Each page is also checked for forms with an empty or wrong ``csrf_token`` (the bug that
made every mouse click a 403) and for console errors (CSP refusals show there).
"""

from __future__ import annotations

import re

import pytest

from tests.factories import make_post
from tests.web.browser import wait_until
from tests.web.console_app import forms_without_csrf

pytestmark = pytest.mark.browser
CARDS = "#queue .card"
# (user, a text of the page in that user's language)
LANGUAGES = [pytest.param(("li", "en", "Approve (a)", "Approved"), id="en"),
             pytest.param(("wang", "zh-Hans", "通过 (a)", "已通过"), id="zh")]


def wait_for_cards(page, n: int) -> None:
    wait_until(page, f"document.querySelectorAll({CARDS!r}).length === {n}")


def keys_on(page) -> list[str]:
    return page.locator(CARDS).evaluate_all("els => els.map(e => e.dataset.key)")


def card(page, key: str):
    return page.locator(f'{CARDS}[data-key="{key}"]')


def toast(page, containing: str = "") -> str:
    """The toast's text, once it shows (and says ``containing``)."""
    wait_until(page, "!document.querySelector('#status').hidden && document.querySelector("
               f"'#status').textContent.includes({containing!r})")
    return page.locator("#status").text_content()


def reloads(page, locator) -> None:
    """Click ``locator`` and wait for the page it reloads (decided views and undo do)."""
    with page.expect_navigation(timeout=5000):
        locator.click()


def check_page(page) -> None:
    assert forms_without_csrf(page) == []
    assert page.errors == []


def posts(n: int, **overrides):
    return [make_post(text=f"Work {i} on the Yangtze #ChongqingFriends", **overrides)
            for i in range(n)]


@pytest.mark.parametrize("who", LANGUAGES)
def test_every_card_button_works_with_the_mouse(fresh, who):
    user, locale, approve_label, approved_word = who
    keys = fresh.add(*posts(4))
    page = fresh.page(user)
    wait_for_cards(page, 4)
    assert page.locator("html").get_attribute("lang") == locale
    check_page(page)
    assert page.locator("#count .num").text_content() == "4"

    first = card(page, keys[0])
    first.locator('input[name="section"]').nth(1).check()  # professional
    first.locator('input[name="feature"]').check()
    first.locator("select[name=reason]").select_option("spam")  # must not ride along
    first.get_by_role("button", name=approve_label).click()
    wait_for_cards(page, 3)
    assert keys[0] in toast(page)
    assert page.locator("#count .num").text_content() == "3"
    assert page.locator('.views [data-view="approved"] .n').text_content() == "1"
    approved = fresh.post(keys[0])
    assert (approved.status, approved.section, approved.featured, approved.reason) == (
        "approved", "professional", True, None)
    assert fresh.audit("approve")[0].reason is None  # approve never carries a reason

    second = card(page, keys[1])
    second.locator("select[name=reason]").select_option("low-quality")
    second.locator("form.actions input[name=note]").fill("blurry")
    second.locator("button[value=reject]").click()
    wait_for_cards(page, 2)
    assert (fresh.post(keys[1]).status, fresh.post(keys[1]).reason) == ("rejected", "low-quality")
    assert fresh.audit("reject")[0].detail["note"] == "blurry"

    card(page, keys[2]).locator("button[value=release]").click()  # Skip
    wait_for_cards(page, 1)
    assert fresh.post(keys[2]).status == "pending" and fresh.post(keys[2]).claimed_by is None
    # The toast sits above the cards: it never covers a button of the card left.
    box = page.locator("#status").bounding_box()
    for button in card(page, keys[3]).locator("button").all():
        b = button.bounding_box()
        assert b["y"] >= box["y"] + box["height"] or b["y"] + b["height"] <= box["y"]

    reloads(page, page.get_by_role("button", name=re.compile(r"Undo|撤销")))
    assert fresh.post(keys[1]).status == "pending"  # the last decision (a skip is none)
    assert keys[1] in keys_on(page) and keys[1] in toast(page)
    check_page(page)
    page.context.close()


def test_the_bulk_bar_with_the_mouse(fresh):
    keys = fresh.add(*posts(4))
    page = fresh.page("li")
    wait_for_cards(page, 4)
    for key in keys[:2]:
        card(page, key).locator("input.select").check()
    page.locator("#bulk select[name=section]").select_option("short-video")
    page.get_by_role("button", name="Approve selected").click()
    wait_for_cards(page, 2)
    assert "Selected posts approved into Short video works: 2." in toast(page)
    assert [fresh.post(k).section for k in keys[:2]] == ["short-video", "short-video"]
    card(page, keys[2]).locator("input.select").check()
    page.locator("#bulk select[name=reason]").select_option("copyright")
    page.get_by_role("button", name="Reject selected").click()
    wait_for_cards(page, 1)
    assert (fresh.post(keys[2]).status, fresh.post(keys[2]).reason) == ("rejected", "copyright")
    page.get_by_role("button", name="Reject selected").click()  # nothing selected
    assert "select at least one post" in toast(page, "select at least")
    assert page.errors == ["Failed to load resource: the server responded with a status of "
                           "400 (Bad Request)"]  # that refusal, and nothing else
    page.errors.clear()
    check_page(page)
    page.context.close()


@pytest.mark.parametrize("who", LANGUAGES)
def test_status_views_resection_unapprove_and_reverse(fresh, who):
    user, locale, _, approved_word = who
    approved = fresh.add(*posts(2), status="approved", section="mobile", decided_by="anna")
    rejected = fresh.add(*posts(1), status="rejected", reason="spam", decided_by="anna")
    page = fresh.page(user)
    page.locator('.views [data-view="approved"]').click()
    page.wait_for_url(re.compile(r"view=approved"))
    assert approved_word in page.locator(".views .current").text_content()
    assert sorted(keys_on(page)) == sorted(approved)
    check_page(page)

    first = card(page, approved[0])
    first.locator("select[name=section]").select_option("professional")
    reloads(page, first.locator("button[value=resection]"))
    assert approved[0] in toast(page)  # the message survives the reload
    assert fresh.post(approved[0]).section == "professional"

    reloads(page, card(page, approved[1]).locator("button[value=requeue]"))  # un-approve
    assert fresh.post(approved[1]).status == "pending"
    assert page.locator('.views [data-view="pending"] .n').text_content() == "1"

    page.locator('.views [data-view="rejected"]').click()
    page.wait_for_url(re.compile(r"view=rejected"))
    back = card(page, rejected[0])
    back.locator("select[name=section]").select_option("short-video")
    reloads(page, back.locator("button[value=approve]"))  # approve instead (a reversal)
    post = fresh.post(rejected[0])
    assert (post.status, post.section, post.reason) == ("approved", "short-video", None)
    actions = [e.action for e in fresh.audit()]
    assert actions == ["resection", "requeue", "approve"]
    assert fresh.audit("approve")[0].detail["reverse"] is True
    page.locator('.views [data-view="all"]').click()
    page.wait_for_url(re.compile(r"view=all"))
    assert page.locator('.views [data-view="all"] .n').text_content() == "3"
    check_page(page)
    page.context.close()


@pytest.mark.parametrize("who", LANGUAGES)
def test_the_same_flows_with_the_keyboard(fresh, who):
    user, locale, _, _ = who
    keys = fresh.add(*posts(5))
    page = fresh.page(user)
    wait_for_cards(page, 5)
    page.keyboard.press("?")
    assert page.locator("#help").is_visible()
    page.keyboard.press("Escape")  # Esc closes the help, which then covers nothing
    assert not page.locator("#help").is_visible()
    page.keyboard.press("2")
    page.keyboard.press("f")
    page.keyboard.press("a")
    wait_for_cards(page, 4)
    assert (fresh.post(keys[0]).section, fresh.post(keys[0]).featured) == ("professional", True)
    page.keyboard.press("r")
    wait_for_cards(page, 3)
    assert fresh.post(keys[1]).status == "rejected"
    page.keyboard.press("j")
    page.keyboard.press("s")  # skip the fourth post
    wait_for_cards(page, 2)
    assert fresh.post(keys[3]).claimed_by is None
    page.keyboard.press("x")  # select the current (third) and the last, then bulk-approve
    page.keyboard.press("k")
    page.keyboard.press("x")
    page.locator("#bulk button[value=approve]").focus()
    with page.expect_navigation():  # the batch is done: a reload claims the next one
        page.keyboard.press("Enter")
    assert fresh.post(keys[2]).status == fresh.post(keys[4]).status == "approved"
    assert keys_on(page) == [keys[3]]  # the skipped post comes back
    # u brings the last decision back, and the focus goes to that post, not to the top.
    with page.expect_navigation():
        page.keyboard.press("u")
    wait_until(page, f"document.querySelector('{CARDS}.current')?.dataset.key === {keys[4]!r}")
    assert fresh.post(keys[4]).status == "pending"
    # Tab and Enter reach the buttons too (no shortcut needed).
    card(page, keys[4]).locator("button[value=reject]").focus()
    page.keyboard.press("Enter")
    wait_until(page, f"!document.querySelector('{CARDS}[data-key=\"{keys[4]}\"]')")
    assert fresh.post(keys[4]).status == "rejected"
    check_page(page)
    page.context.close()


def test_status_views_and_reversal_with_the_keyboard(fresh):
    (key,) = fresh.add(*posts(1), status="approved", section="mobile", decided_by="anna")
    page = fresh.page("root", "/moderation?view=approved")
    page.locator(f'{CARDS}[data-key="{key}"] select[name=section]').focus()
    page.keyboard.press("ArrowDown")  # professional
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # Move to section
    assert fresh.post(key).section == "professional"
    summary = page.locator(f'{CARDS}[data-key="{key}"] details.takedown summary')
    summary.focus()
    page.keyboard.press("Enter")  # opens the confirmation
    page.keyboard.press("Tab")
    page.keyboard.type("author-request")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert (fresh.post(key).status, fresh.post(key).reason) == ("removed", "author-request")
    check_page(page)
    page.context.close()


def test_one_at_a_time_is_one_large_card_with_mouse_navigation(fresh):
    keys = fresh.add(*posts(3))
    page = fresh.page("li", "/moderation?mode=one")
    wait_for_cards(page, 3)
    visible = [k for k in keys if card(page, k).is_visible()]
    assert visible == [keys[0]]
    assert card(page, keys[0]).bounding_box()["height"] > 250
    page.get_by_role("button", name="next (j) →").click()
    assert card(page, keys[1]).is_visible() and not card(page, keys[0]).is_visible()
    page.get_by_role("button", name="← previous (k)").click()
    assert card(page, keys[0]).is_visible()
    check_page(page)
    page.context.close()


def test_participant_markup_stays_text_and_the_filters_tell_why_nothing_shows(fresh):
    fresh.add(make_post(text='Hotpot <script>window.__pwned=1</script> #ChongqingFriends'))
    page = fresh.page("li")
    wait_for_cards(page, 1)
    assert page.evaluate("window.__pwned === undefined")
    assert page.get_by_text("<script>window.__pwned=1</script>", exact=False).is_visible()
    page.goto(fresh.url + "/moderation?source=douyin")
    assert page.locator("#empty").text_content().strip().startswith(
        "No post matches these filters.")
    assert "0 pending" in page.locator("#count").text_content()
    other = fresh.page("wang", "/moderation")  # the one post is li's now
    assert "已被其他审核员领取" in other.locator("#empty").text_content()
    other.context.close()
    page.context.close()
