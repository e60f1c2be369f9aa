from pathlib import Path
from typing import Any

import pytest

from cqfriends.moderation.checks.rules import Rules, word_pattern
from cqfriends.settings import Rules as RuleSettings
from cqfriends.settings import Settings
from tests.conftest import make_settings


def post(text: str = "Morning walk along the Yangtze #ChongqingFriends", **extra: Any
         ) -> dict[str, Any]:
    base = {"source": "twitter", "author_id": "11", "author_handle": "anna_wu", "text": text,
            "hashtags": [], "mentions": [], "media": [{"type": "photo"}]}
    return {**base, **extra}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    base = make_settings(tmp_path, f"sqlite:///{tmp_path / 'x.db'}")
    rules = RuleSettings.model_validate({
        "banned": {"words": ["scam", "赌博"], "action": "reject"},
        "suspect_words": ["giveaway", "免费"],
        "blocked_authors": ["twitter:666", "facebook:@BadPage"],
        "allowed_authors": ["twitter:@CQMC_official"], "allowed_skip_queue": True,
        "spam": {"max_hashtags": 5, "max_mentions": 3, "min_chars": 3,
                 "max_posts_per_author_per_day": 10}})
    return base.model_copy(update={"rules": rules})


def codes(rules: Rules, p: dict[str, Any], **kw: Any) -> list[str]:
    return [f["code"] for f in rules.evaluate(p, **kw)]


@pytest.mark.parametrize(("p", "expected"), [
    (post(), []),
    (post("Morning walk ＃ChongqingFriends"), []),
    (post("Morning walk #chongqingfriends"), []),
    (post("Morning walk", hashtags=["ChongqingFriends"]), []),
    (post("Morning walk along the Yangtze #Chongqing"), ["off-topic"]),
    (post("火锅 #外国人在重庆", source="douyin"), []),
    (post("火锅 #Foreigners @Chongqing", source="douyin"), []),
    (post("夜景", source="douyin", hashtags=["外国人在重庆"]), []),
    (post("夜景 #重庆", source="douyin"), ["off-topic"]),
    (post("Free scam here #ChongqingFriends"), ["banned-word"]),
    (post("Scamming is a word #ChongqingFriends"), []),  # whole words only
    (post("网上赌博 #ChongqingFriends"), ["banned-word"]),  # Chinese words: substrings
    (post("Big GIVEAWAY today #ChongqingFriends"), ["suspect-word"]),
    (post(author_id="666"), ["blocked-author"]),
    (post(source="facebook", author_id="p1", author_handle="badpage"), ["blocked-author"]),
    (post(author_handle="cqmc_official"), ["allowed-author"]),
    (post("#ChongqingFriends #a #b #c #d #e #f nice"), ["spam-hashtags"]),
    (post("#ChongqingFriends hi @a @b @c @d"), ["spam-mentions"]),
    (post("#ChongqingFriends https://t.co/x @cqmc"), ["link-only"]),
    (post("#ChongqingFriends 🌶️🔥😍", media=[]), ["too-short"]),
    (post("#ChongqingFriends 🌶️🔥😍"), []),  # a photo needs no caption
])
def test_rule_flags(settings: Settings, p: dict[str, Any], expected: list[str]) -> None:
    assert codes(Rules.from_settings(settings), p) == expected


def test_flags_explain_themselves(settings: Settings) -> None:
    flags = Rules.from_settings(settings).evaluate(
        post("Free GIVEAWAY, no scam, 免费 #ChongqingFriends"))
    assert {"code": "banned-word", "detail": "scam"} in flags
    assert {"code": "suspect-word", "detail": "giveaway, 免费"} in flags


def test_author_flood(settings: Settings) -> None:
    rules = Rules.from_settings(settings)
    assert codes(rules, post(), posts_that_day=10) == []
    assert codes(rules, post(), posts_that_day=11) == ["author-flood"]
    # Instagram hashtag media carry no author: they are not one prolific author.
    assert codes(rules, post(source="instagram", author_id=""), posts_that_day=50) == []


@pytest.mark.parametrize(("p", "status", "reason"), [
    (post("no scam #ChongqingFriends"), "rejected", "banned-word"),
    (post(author_handle="cqmc_official"), "approved", None),
    (post("scam #ChongqingFriends", author_handle="cqmc_official"), "rejected", "banned-word"),
    (post("Big giveaway #ChongqingFriends"), "pending", None),
    (post(author_id="666"), "pending", None),
])
def test_status_only_by_explicit_rules(settings: Settings, p: dict[str, Any], status: str,
                                       reason: str | None) -> None:
    rules = Rules.from_settings(settings)
    got, why = rules.status(rules.evaluate(p), skip_queue=True)
    assert got == status
    assert (why or None) == reason or (why or "").startswith(reason or "-")


def test_hold_action_only_flags(settings: Settings) -> None:
    held = settings.rules.model_copy(update={"banned": settings.rules.banned.model_copy(
        update={"action": "hold"})})
    rules = Rules.from_settings(settings.model_copy(update={"rules": held}))
    assert rules.status(rules.evaluate(post("scam #ChongqingFriends")),
                        skip_queue=False) == ("pending", None)


def test_empty_word_list_matches_nothing() -> None:
    assert word_pattern([]) is None
    assert word_pattern(["  "]) is None
