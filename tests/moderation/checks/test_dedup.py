import zlib
from datetime import UTC, datetime, timedelta

import pytest

from cqfriends.moderation.checks import dedup
from cqfriends.moderation.checks.clusters import Folder, detail_keys, members_detail
from cqfriends.moderation.checks.dedup import Work, author_names, media_keys, text_keys, verify
from cqfriends.moderation.checks.text import dedup_text

T0 = datetime(2026, 10, 3, 12, 0, tzinfo=UTC)
CAMPAIGN = ["chongqingfriends"]
WORK = ("Sunset over Hongyadong tonight, the lights on the river are unreal and the hotpot "
        "after was perfect #ChongqingFriends #sunset #yangtze https://t.co/Ab12")


def work(i: int, text: str, *, source: str = "twitter", author: str = "11", handle: str = "anna_wu",
         name: str = "Anna Wu", hours: int = 0, media: list[str] | None = None) -> Work:
    cleaned = dedup_text(text, campaign_tags=CAMPAIGN)
    keys = text_keys(cleaned, min_chars=24) + media_keys(
        source=source, source_id=str(i), text=text, media=[{"url": u} for u in media or []])
    return Work(id=i, key=f"{source}:{i}", source=source, author_id=author,
                author_names=author_names(handle, name), created_at=T0 + timedelta(hours=hours),
                text=cleaned, keys=keys)


def matches(a: Work, b: Work) -> list[dedup.Match]:
    shared = set(a.keys) & set(b.keys)
    if not shared:
        return []
    return verify(a, [(b, shared)], threshold=88, copy_min_chars=40)


@pytest.mark.parametrize(("label", "other", "kind"), [
    ("cross-post, caption edited, hashtags reordered, full-width #",
     work(2, "＃ChongqingFriends #yangtze #sunset Sunset over Hongyadong tonight!! the lights on "
             "the river are unreal, and the hotpot after was perfect 🌇", source="facebook",
          author="fb7", handle="", hours=3), "text"),
    ("copy by another author", work(3, WORK.replace("https://t.co/Ab12", ""), author="99",
                                    handle="copycat", name="Copy Cat", hours=30), "text"),
    ("identical media URL, different caption",
     work(4, "My photo of the day #ChongqingFriends", author="98", handle="b", name="Bee",
          media=["https://pbs.twimg.com/media/Fx1.jpg?name=large"]), "media"),
])
def test_same_work_is_found(label: str, other: Work, kind: str) -> None:
    original = work(1, WORK, media=["https://pbs.twimg.com/media/Fx1.jpg"])
    found = matches(other, original)
    assert [m.kind for m in found] == [kind], label


@pytest.mark.parametrize(("a", "b"), [
    # short boilerplate by different people is not a duplicate
    ("#ChongqingFriends I love Chongqing!", "I love Chongqing! #ChongqingFriends"),
    ("Chongqing hotpot is the best 🌶️ #ChongqingFriends",
     "Chongqing hotpot is the best #ChongqingFriends"),
    ("重庆欢迎你 #ChongqingFriends", "重庆欢迎你 #ChongqingFriends"),
    # emoji-only posts have no text to compare
    ("🌶️🔥😍 #ChongqingFriends", "🌶️🔥😍 #ChongqingFriends"),
    # different works on the same topic
    (WORK, "Morning walk on the Yangtze river bridge, the fog over the city was unreal and the "
           "noodles after were perfect #ChongqingFriends"),
])
def test_not_the_same_work(a: str, b: str) -> None:
    first = work(1, a)
    second = work(2, b, author="22", handle="bob", name="Bob Li", hours=5)
    assert matches(second, first) == []


def test_douyin_video_id_links_a_facebook_post_to_the_douyin_video() -> None:
    keys = media_keys(source="facebook", source_id="1", media=[],
                      text="my video https://www.douyin.com/video/7301234567890123456 #cq")
    assert keys == ["v:7301234567890123456"]
    assert "v:7301234567890123456" in media_keys(source="douyin", source_id="7301234567890123456",
                                                  text="", media=[])


@pytest.mark.parametrize(("a", "b", "same"), [
    (("twitter", "11", "anna_wu", "Anna Wu"), ("twitter", "11", "anna_wu", "Anna"), True),
    (("twitter", "11", "anna_wu", "Anna Wu"), ("twitter", "12", "anna_wu2", "Anna Wu"), False),
    (("twitter", "11", "anna_wu", "Anna Wu"), ("facebook", "fb9", "", "Anna Wu"), True),
    (("twitter", "11", "anna_wu", "Anna Wu"), ("douyin", "dy1", "annawu", "安娜"), True),
    (("twitter", "11", "anna_wu", "Anna Wu"), ("facebook", "fb8", "", "Bob Li"), False),
    (("twitter", "11", "al", "Al"), ("facebook", "fb8", "", "Al"), False),  # too short to tell
])
def test_same_author(a: tuple[str, ...], b: tuple[str, ...], same: bool) -> None:
    def make(source: str, author: str, handle: str, name: str) -> Work:
        return Work(id=1, key="k", source=source, author_id=author,
                    author_names=author_names(handle, name), created_at=T0, text="")
    assert dedup.same_author(make(*a), make(*b)) is same


def test_text_keys_need_enough_text() -> None:
    assert text_keys("i love chongqing", min_chars=24) == []
    assert len(text_keys(dedup_text(WORK, campaign_tags=CAMPAIGN), min_chars=24)) == dedup.BANDS


def _reference_text_keys(text: str) -> list[str]:
    """The plain definition: per 4-gram CRC32, keep the smallest hash of each bin."""
    compact = " ".join(text.split())
    bins = [-1] * dedup.BINS
    for i in range(max(1, len(compact) - dedup.SHINGLE + 1)):
        h = zlib.crc32(compact[i:i + dedup.SHINGLE].encode("utf-8"))
        if bins[h % dedup.BINS] < 0 or h < bins[h % dedup.BINS]:
            bins[h % dedup.BINS] = h
    keys = []
    for band in range(dedup.BANDS):
        values = bins[band * dedup.ROWS:(band + 1) * dedup.ROWS]
        if max(values) >= 0:
            keys.append(f"t{band}:" + ".".join(format(v, "x") if v >= 0 else "-" for v in values))
    return keys


@pytest.mark.parametrize("text", [
    dedup_text(WORK, campaign_tags=CAMPAIGN),
    "重庆 洪崖洞 夜景 太美了 和朋友一起吃火锅 #重庆朋友",
    "Hotpot 🌶️ night with friends in Jiefangbei, café after",
    "abc",
    "",
    "short  spaced\ttext\nwith   gaps",
])
def test_text_keys_match_the_plain_definition(text: str) -> None:
    assert text_keys(text, min_chars=0) == _reference_text_keys(text)


def _folder(store: dict[str, tuple[int, list[dict[str, str]]]]) -> Folder:
    return Folder(lambda key: store.get(key))


def test_same_author_folds_into_the_cluster_and_lists_members_on_the_canonical() -> None:
    original = work(1, WORK)
    store = {original.key: (1, [])}
    folder = _folder(store)
    fb = work(2, WORK, source="facebook", author="fb7", handle="", hours=2)
    outcome = folder.decide(fb, matches(fb, original))
    assert outcome.duplicate_of == "twitter:1"
    assert outcome.flags[0]["code"] == "cross-post"
    fb.duplicate_of = outcome.duplicate_of
    dy = work(3, WORK, source="douyin", author="dy5", handle="annawu", hours=4)
    assert folder.decide(dy, matches(dy, fb)).duplicate_of == "twitter:1"  # via a member
    assert folder.touched[1] == [{"code": "cross-post",
                                  "detail": "also on Douyin, Facebook: facebook:2, douyin:3"}]


def test_copy_by_another_author_is_flagged_with_the_earlier_key_and_stays_queued() -> None:
    original = work(1, WORK)
    copy = work(2, WORK, author="99", handle="copycat", name="Copy Cat", hours=30)
    outcome = _folder({}).decide(copy, matches(copy, original))
    assert outcome.duplicate_of is None
    assert [f["code"] for f in outcome.flags] == ["possible-copy"]
    assert "earlier twitter:1" in outcome.flags[0]["detail"]


def test_when_the_stored_post_is_the_later_one_it_gets_the_copy_flag() -> None:
    later = work(1, WORK, hours=50)
    store = {later.key: (1, [])}
    folder = _folder(store)
    earlier = work(2, WORK, author="99", handle="orig", name="Original Author", hours=1)
    assert folder.decide(earlier, matches(earlier, later)).flags == []
    assert folder.touched[1][0]["code"] == "possible-copy"
    assert "earlier twitter:2" in folder.touched[1][0]["detail"]


def test_members_detail_round_trips() -> None:
    detail = members_detail(["facebook:2", "douyin:3"])
    assert detail_keys(detail) == ["facebook:2", "douyin:3"]
