"""From stored posts to the queue, on SQLite and PostgreSQL."""

from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cqfriends.moderation.checks.runner import run_checks
from cqfriends.normalize.post import Author, Media
from cqfriends.settings import Settings
from cqfriends.store.db import session_scope
from cqfriends.store.models import DedupKey, PostRow
from cqfriends.store.posts import get_post, post_public_dict, upsert_posts
from tests.conftest import make_settings
from tests.factories import CREATED, make_post

ANNA_X = Author(id="11", name="Anna Wu", handle="anna_wu", url="https://x.com/anna_wu")
ANNA_FB = Author(id="100077", name="Anna Wu")
ANNA_DY = Author(id="MS4wLjAB", name="安娜 Anna Wu", handle="annawu")
BOB = Author(id="22", name="Bob Li", handle="bobli")
PHOTO = Media(type="photo", url="https://pbs.twimg.com/media/Fx1001.jpg")
WORK = ("Sunset over Hongyadong tonight, the lights on the river are unreal and the hotpot "
        "after was perfect #ChongqingFriends #sunset https://t.co/Ab12")


def store(engine: Engine, posts: list) -> None:
    with session_scope(engine) as session:
        upsert_posts(session=session, posts=posts)


def public(engine: Engine, key: str) -> dict:
    with session_scope(engine) as session:
        row = get_post(session=session, key=key)
        assert row is not None
        return post_public_dict(row)


def codes(row: dict) -> list[str]:
    return [f["code"] for f in row["flags"]]


def first_batch() -> list:
    return [
        make_post(source_id="1001", author=ANNA_X, text=WORK, media=[PHOTO]),
        make_post(source="facebook", source_id="100077_1", author=ANNA_FB, lang=None,
                  created_at=CREATED + timedelta(hours=2),
                  text="＃chongqingfriends #Sunset Sunset over Hongyadong tonight!! The lights on "
                       "the river are unreal, and the hotpot after was perfect 🌇"),
        make_post(source_id="1003", author=BOB, created_at=CREATED + timedelta(days=2),
                  text=WORK.replace("https://t.co/Ab12", "")),
        make_post(source_id="1004", author=Author(id="31", name="C"),
                  text="#ChongqingFriends I love Chongqing!"),
        make_post(source_id="1005", author=Author(id="32", name="D"),
                  text="#ChongqingFriends I love Chongqing!"),
        make_post(source_id="1006", author=Author(id="33", name="E"), text="🌶️🔥😍", lang=None,
                  media=[], hashtags=[]),
        make_post(source_id="1007", author=Author(id="34", name="F"), lang=None,
                  text="今天在解放碑吃火锅，太辣了但是很好吃！#ChongqingFriends #hotpot"),
        make_post(source_id="1008", author=Author(id="35", name="G"), is_repost=True,
                  repost_of="twitter:1001", text="RT @anna_wu: Sunset over Hongyadong"),
        make_post(source_id="1009", author=Author(id="36", name="H"), lang="ru",
                  text="Вечер на набережной в Чунцине, огни реки #ChongqingFriends"),
        make_post(source_id="1010", author=Author(id="37", name="I"), text="Morning run",
                  hashtags=[], media=[PHOTO]),
    ]


def test_import_to_queue(engine: Engine, tmp_path: Path, db_url: str) -> None:
    settings = make_settings(tmp_path, db_url)
    store(engine, first_batch())
    summary = run_checks(engine=engine, settings=settings)
    assert summary.checked == 10
    canonical = public(engine, "twitter:1001")
    assert canonical["status"] == "pending" and canonical["duplicate_of"] is None
    assert canonical["flags"] == [{"code": "cross-post",
                                   "detail": "also on Facebook: facebook:100077_1"}]
    member = public(engine, "facebook:100077_1")
    assert (member["status"], member["duplicate_of"]) == ("duplicate", "twitter:1001")
    assert member["lang"] == "en"
    copy = public(engine, "twitter:1003")
    assert copy["status"] == "pending" and copy["duplicate_of"] is None
    assert codes(copy) == ["possible-copy"] and "twitter:1001" in copy["flags"][0]["detail"]
    for key in ("twitter:1004", "twitter:1005"):  # boilerplate by different people
        assert public(engine, key)["flags"] == [] and public(engine, key)["status"] == "pending"
    emoji = public(engine, "twitter:1006")
    assert (emoji["lang"], codes(emoji)) == ("und", ["off-topic", "too-short"])
    assert public(engine, "twitter:1007")["lang"] == "zh"
    repost = public(engine, "twitter:1008")
    assert (repost["status"], repost["duplicate_of"], codes(repost)) == (
        "duplicate", "twitter:1001", ["repost"])
    assert codes(public(engine, "twitter:1009")) == ["needs-translation"]
    same_photo = public(engine, "twitter:1010")
    assert "duplicate-media" in codes(same_photo) and "off-topic" in codes(same_photo)
    assert summary.duplicate == 2 and summary.pending == 8
    assert summary.flagged["cross-post"] == 2


def test_later_batches_are_compared_with_everything_stored(engine: Engine, tmp_path: Path,
                                                           db_url: str) -> None:
    settings = make_settings(tmp_path, db_url)
    store(engine, first_batch())
    run_checks(engine=engine, settings=settings)
    with session_scope(engine) as session:
        keys_before = session.execute(sa.select(sa.func.count()).select_from(DedupKey)).scalar()
    store(engine, [make_post(source="douyin", source_id="7301", author=ANNA_DY, lang=None,
                             created_at=CREATED + timedelta(days=1), media=[],
                             text="#外国人在重庆 Sunset over Hongyadong tonight, the lights on the "
                                  "river are unreal and the hotpot after was perfect")])
    assert run_checks(engine=engine, settings=settings).checked == 1  # only the new one
    member = public(engine, "douyin:7301")
    assert (member["status"], member["duplicate_of"]) == ("duplicate", "twitter:1001")
    assert public(engine, "twitter:1001")["flags"] == [{
        "code": "cross-post", "detail": "also on Douyin, Facebook: facebook:100077_1, douyin:7301"}]
    with session_scope(engine) as session:
        keys_after = session.execute(sa.select(sa.func.count()).select_from(DedupKey)).scalar()
    assert keys_after > keys_before  # added to, not rebuilt


def test_recheck_keeps_moderator_decisions(engine: Engine, tmp_path: Path, db_url: str) -> None:
    settings = make_settings(tmp_path, db_url)
    store(engine, [make_post(source_id="2001", text="Hotpot scam night #ChongqingFriends"),
                   make_post(source_id="2002", text="Another scam walk #ChongqingFriends")])
    run_checks(engine=engine, settings=settings)
    with session_scope(engine) as session:
        session.execute(sa.update(PostRow).where(PostRow.source_id == "2001").values(
            status="approved", section="mobile", decided_by="mod1", reason=None))
    strict = _with_banned(settings, ["scam"])
    summary = run_checks(engine=engine, settings=strict, recheck=True)
    assert summary.rechecked == 2
    decided = public(engine, "twitter:2001")
    assert (decided["status"], decided["section"]) == ("approved", "mobile")
    assert codes(decided) == ["banned-word"]  # flags refresh, the decision stays
    auto = public(engine, "twitter:2002")
    assert auto["status"] == "rejected" and codes(auto) == ["banned-word"]
    run_checks(engine=engine, settings=settings, recheck=True)  # rule removed again
    assert public(engine, "twitter:2002")["status"] == "pending"
    assert public(engine, "twitter:2001")["status"] == "approved"


def _with_banned(settings: Settings, words: list[str]) -> Settings:
    banned = settings.rules.banned.model_copy(update={"words": words, "action": "reject"})
    return settings.model_copy(update={"rules": settings.rules.model_copy(
        update={"banned": banned})})


def test_posts_further_apart_than_the_window_are_not_compared(engine: Engine, tmp_path: Path,
                                                             db_url: str) -> None:
    settings = make_settings(tmp_path, db_url)
    store(engine, [make_post(source_id="3001", author=ANNA_X, text=WORK, media=[]),
                   make_post(source_id="3002", author=BOB, text=WORK, media=[],
                             created_at=CREATED + timedelta(days=settings.dedup.window_days + 1))])
    run_checks(engine=engine, settings=settings)
    assert public(engine, "twitter:3002")["flags"] == []
