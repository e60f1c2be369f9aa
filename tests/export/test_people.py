"""People, not accounts: the draw, the report's authors, blocking, author-flood; both backends."""

from __future__ import annotations

from datetime import timedelta

from cqfriends.export.draw import run_draw
from cqfriends.export.reports import build_report
from cqfriends.moderation.authors import set_author_rule
from cqfriends.moderation.checks.runner import run_checks
from cqfriends.normalize.post import Author
from cqfriends.store.db import session_scope
from cqfriends.store.identity import link_accounts
from cqfriends.store.models import PostRow, User
from cqfriends.store.posts import get_post, upsert_posts
from tests.conftest import make_settings
from tests.factories import CREATED, make_post

MEI_X = Author(id="11", name="Mei Lin Tan", handle="meilintan")
MEI_FB = Author(id="100078", name="Mei ✈️ Chongqing")
MEI_DY = Author(id="MS4w", name="小美", handle="xiaomei")
BOB = Author(id="22", name="Bob Li", handle="bobli")
MOD = User(username="mod", role="moderator", password_hash="x")


def link_mei(engine) -> None:
    with session_scope(engine, write=True) as session:
        link_accounts(session=session, linked_by="mod", labels={}, links=[
            (("twitter", "11"), ("facebook", "100078"), 1.0),
            (("douyin", "MS4w"), ("facebook", "100078"), 1.0)])


def approved_works(add_posts) -> None:
    add_posts(make_post(author=MEI_X), make_post(author=MEI_X), make_post(author=BOB),
              make_post(source="facebook", author=MEI_FB),
              make_post(source="douyin", author=MEI_DY, lang=None))


def test_the_draw_gives_one_entry_per_person(engine, add_posts, tmp_path, db_url):
    approved_works(add_posts)
    settings = make_settings(tmp_path, db_url)
    assert run_draw(engine=engine, settings=settings, n=5, seed="s")["entries"] == 4
    link_mei(engine)
    result = run_draw(engine=engine, settings=settings, n=5, seed="s")
    assert result["entries"] == 2
    entries = {w["entry"] for w in result["winners"]}
    assert entries == {"twitter:22", "douyin:MS4w+facebook:100078+twitter:11"}


def test_the_reports_count_people(engine, add_posts, tmp_path, db_url):
    approved_works(add_posts)
    settings = make_settings(tmp_path, db_url)
    with session_scope(engine) as session:
        assert build_report(session=session, settings=settings)["totals"]["authors"] == 4
    link_mei(engine)
    with session_scope(engine) as session:
        report = build_report(session=session, settings=settings)
    assert report["totals"]["authors"] == 2
    assert {s["source"]: s["authors"] for s in report["by_source"]} == {
        "douyin": 1, "facebook": 1, "twitter": 2}


def test_blocking_one_account_blocks_the_person(engine, add_posts, tmp_path, db_url):
    approved_works(add_posts)
    settings = make_settings(tmp_path, db_url)
    link_mei(engine)
    [open_key] = add_posts(make_post(source="facebook", author=MEI_FB), status="pending")
    changed = set_author_rule(engine=engine, settings=settings, user=MOD, source="twitter",
                              key="11", rule="block", label="Mei Lin Tan")
    assert changed == 1  # the Facebook account's undecided post
    with session_scope(engine) as session:
        flags = [f["code"] for f in get_post(session=session, key=open_key).flags]
    assert "blocked-author" in flags
    result = run_draw(engine=engine, settings=settings, n=5, seed="s")
    assert [w["entry"] for w in result["winners"]] == ["twitter:22"]
    with session_scope(engine) as session:
        upsert_posts(session=session, posts=[make_post(source="douyin", author=MEI_DY,
                                                       lang=None)])
    run_checks(engine=engine, settings=settings)
    with session_scope(engine) as session:
        newest = session.query(PostRow).filter(PostRow.source == "douyin").order_by(
            PostRow.id.desc()).first()
        assert "blocked-author" in [f["code"] for f in newest.flags]


def test_author_flood_counts_per_person_per_day(engine, tmp_path, db_url):
    settings = make_settings(tmp_path, db_url)
    spam = settings.rules.spam.model_copy(update={"max_posts_per_author_per_day": 3})
    settings = settings.model_copy(update={"rules": settings.rules.model_copy(
        update={"spam": spam})})
    link_mei(engine)
    posts = [make_post(author=MEI_X, created_at=CREATED + timedelta(minutes=i),
                       text=f"Morning {i} on the Yangtze, every day a new view #ChongqingFriends")
             for i in range(2)]
    posts += [make_post(source="facebook", author=MEI_FB, lang=None,
                        created_at=CREATED + timedelta(minutes=10 + i),
                        text=f"Evening {i}: the hotpot place near Jiefangbei #ChongqingFriends")
              for i in range(2)]
    with session_scope(engine) as session:
        upsert_posts(session=session, posts=posts)
    run_checks(engine=engine, settings=settings)
    with session_scope(engine) as session:
        flood = [f for p in posts for f in get_post(session=session, key=p.key).flags
                 if f["code"] == "author-flood"]
    assert len(flood) == 4 and "4 posts" in flood[0]["detail"]
