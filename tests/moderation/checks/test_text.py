import pytest

from cqfriends.moderation.checks.text import (
    dedup_text,
    fold,
    hashtags_in,
    is_retweet_text,
    language_text,
    tag_key,
    weighted_length,
)

CAMPAIGN = ["chongqingfriends"]


@pytest.mark.parametrize(("raw", "expected"), [
    ("#ChongqingFriends", "#chongqingfriends"),
    ("＃ＣｈｏｎｇｑｉｎｇＦｒｉｅｎｄｓ", "#chongqingfriends"),
    ("ＣＱ　２０２６", "cq 2026"),
])
def test_fold_is_case_and_width_insensitive(raw: str, expected: str) -> None:
    assert fold(raw) == expected


@pytest.mark.parametrize(("tag", "key"), [
    ("#ChongqingFriends", "chongqingfriends"), ("＃chongqingfriends", "chongqingfriends"),
    ("Foreigners @Chongqing", "foreigners@chongqing"), ("外国人在重庆", "外国人在重庆"),
])
def test_tag_key(tag: str, key: str) -> None:
    assert tag_key(tag) == key


@pytest.mark.parametrize(("text", "expected"), [
    ("Night view of Hongyadong https://t.co/AbC123 #ChongqingFriends @cqmc 🌃✨",
     "night view of hongyadong"),
    ("今天在解放碑吃火锅，太辣了！#ChongqingFriends #hotpot 🌶️", "今天在解放碑吃火锅,太辣了!"),
    ("🌶️🔥😍👍🏽", ""),
    ("我爱重庆 Chongqing hotpot #重庆美食", "我爱重庆 chongqing hotpot"),
])
def test_language_text_drops_urls_mentions_hashtags_emoji(text: str, expected: str) -> None:
    assert language_text(text) == expected


@pytest.mark.parametrize(("a", "b"), [
    ("Sunset at Chaotianmen #ChongqingFriends #yangtze #sunset https://t.co/x",
     "＃chongqingfriends #sunset #Yangtze Sunset at Chaotianmen!! 🌇"),
    ("@cqmc Hotpot night with friends #ChongqingFriends", "Hotpot night, with friends"),
])
def test_dedup_text_ignores_edits_that_do_not_change_the_work(a: str, b: str) -> None:
    assert dedup_text(a, campaign_tags=CAMPAIGN) == dedup_text(b, campaign_tags=CAMPAIGN)


def test_dedup_text_keeps_other_hashtags_sorted_at_the_end() -> None:
    assert dedup_text("A walk #zoo #art #ChongqingFriends",
                      campaign_tags=CAMPAIGN) == "a walk art zoo"


def test_hashtags_in_finds_full_width_and_chinese_tags() -> None:
    found = hashtags_in("＃ChongqingFriends hi #外国人在重庆")
    assert found == ["chongqingfriends", "外国人在重庆"]


@pytest.mark.parametrize(("text", "expected"), [
    ("RT @anna_wu: Sunset over the river", True), ("rt @x: hi", True),
    ("Art @ the museum", False), ("RTX graphics", False),
])
def test_is_retweet_text(text: str, expected: bool) -> None:
    assert is_retweet_text(text) is expected


def test_weighted_length_counts_ideographs_double() -> None:
    assert weighted_length("abc") == 3
    assert weighted_length("重庆") == 4
