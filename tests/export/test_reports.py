import csv
import io
import zipfile
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from cqfriends.export.report_formats import TABLES, write_report_xlsx, write_report_zip
from cqfriends.export.reports import build_report
from cqfriends.normalize.post import Author, Metrics
from cqfriends.store.db import session_scope
from cqfriends.store.posts import upsert_posts
from tests.conftest import make_settings
from tests.export.conftest import set_state
from tests.factories import make_post


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 10, day, hour, 0, tzinfo=UTC)


A, B = Author(id="a1", handle="anna"), Author(id="b1", handle="bao")
C, D = Author(id="c1", handle="chen"), Author(id="d1", handle="dave")
# (post, status, hours to decision).  Campaign zone Asia/Shanghai is UTC+8, so
# 15:30 UTC on Oct 3 is still Oct 3 there, and 16:30 UTC is already Oct 4.
FIXTURE = [
    (make_post(author=A, created_at=at(3, 15) + timedelta(minutes=30), lang="en",
               metrics=Metrics(likes=10, comments=2, shares=1, views=100)), "approved", 2),
    (make_post(author=A, created_at=at(3, 16) + timedelta(minutes=30), lang="en",
               metrics=Metrics(likes=1)), "rejected", 6),
    (make_post(source="facebook", author=B, created_at=at(4, 2), lang="zh",
               metrics=Metrics(likes=5, comments=5, shares=5)), "pending", None),
    (make_post(source="douyin", author=C, created_at=at(4, 3), lang="zh",
               metrics=Metrics(likes=100, comments=10, shares=20, views=5000)), "approved", 4),
    (make_post(source="douyin", author=C, created_at=at(4, 3), lang="zh",
               metrics=Metrics(likes=999)), "duplicate", None),
    (make_post(author=D, created_at=at(3, 1), lang="en", metrics=Metrics(likes=2)),
     "removed", 1),
]


@pytest.fixture
def report_settings(tmp_path, db_url, engine):
    posts = [replace(p, collected_at=p.created_at) for p, _, _ in FIXTURE]
    with session_scope(engine) as session:
        upsert_posts(session=session, posts=posts)
    for post, (_, status, hours) in zip(posts, FIXTURE, strict=True):
        decided = post.created_at + timedelta(hours=hours) if hours else None
        set_state(engine, [post.key], status=status, decided_at=decided, section="mobile",
                  stored_at=post.collected_at)  # stored when collected: time to decision
    later = replace(posts[3], metrics=Metrics(likes=150, comments=10, shares=20, views=5000),
                    collected_at=at(5, 1))  # 09:00 on Oct 5 in Chongqing: +50 likes that day
    with session_scope(engine) as session:
        upsert_posts(session=session, posts=[later])
    return make_settings(tmp_path, db_url)


def report_of(engine, settings, **kwargs):
    with session_scope(engine) as session:
        return build_report(session=session, settings=settings, **kwargs)


def test_totals_match_the_hand_computed_fixture(engine, report_settings):
    report = report_of(engine, report_settings)
    assert report["totals"] == {"posts": 5, "authors": 4, "approved": 2, "rejected": 1,
                                "pending": 1, "removed": 1, "likes": 168, "comments": 17,
                                "shares": 26, "views": 5100}
    assert report["backlog"] == 1
    assert report["time_to_decision_hours"] == {"decided": 4, "median": 3.0, "p90": 6.0}
    assert report["languages"] == [{"lang": "en", "posts": 3}, {"lang": "zh", "posts": 2}]
    assert [w["author"] for w in report["top_works"]] == ["chen", "anna"]
    assert report["top_contributors"][0] == {"source": "douyin", "author": "chen", "works": 1,
                                             "engagement": 180}


def test_days_follow_the_campaign_time_zone_and_growth_comes_from_snapshots(
        engine, report_settings):
    report = report_of(engine, report_settings)
    days = {d["day"]: d for d in report["by_day"]}
    assert sorted(days) == ["2026-10-03", "2026-10-04", "2026-10-05"]
    assert (days["2026-10-03"]["posts"], days["2026-10-03"]["authors"]) == (2, 2)
    assert (days["2026-10-04"]["posts"], days["2026-10-04"]["likes"]) == (3, 156)
    assert days["2026-10-05"]["posts"] == 0 and days["2026-10-05"]["growth"]["likes"] == 50
    assert days["2026-10-04"]["growth"]["likes"] == 106  # first snapshots count from zero
    # Oct 3: approved after 2 h, removed after 1 h; Oct 4: rejected after 6 h, approved after 4 h.
    assert [days[d]["decision_hours_median"] for d in sorted(days)] == [1.5, 5.0, None]
    assert report["growth"]["likes"] == report["totals"]["likes"]
    sources = {s["source"]: s for s in report["by_source"]}
    assert {k: v["posts"] for k, v in sources.items()} == {"douyin": 1, "facebook": 1,
                                                          "twitter": 3}


def test_since_and_until_are_whole_days_in_the_campaign_zone(engine, report_settings):
    report = report_of(engine, report_settings, since=date(2026, 10, 4),
                          until=date(2026, 10, 4))
    assert report["totals"]["posts"] == 3 and report["totals"]["authors"] == 3
    assert [d["day"] for d in report["by_day"]] == ["2026-10-04"]


def test_csv_and_xlsx_downloads_hold_every_block(engine, report_settings):
    from io import BytesIO

    from openpyxl import load_workbook

    report = report_of(engine, report_settings)
    archive = zipfile.ZipFile(BytesIO(write_report_zip(report)))
    assert set(archive.namelist()) == {f"{t}.csv" for t in TABLES}
    for name in archive.namelist():  # each a plain table: UTF-8 with BOM, one header line
        text = archive.read(name).decode("utf-8")
        assert text.startswith("\ufeff") and "#" not in text.splitlines()[0]
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
        assert len({len(r) for r in rows}) == 1
    by_day = list(csv.DictReader(io.StringIO(archive.read("by_day.csv").decode("utf-8-sig"))))
    assert [r["day"] for r in by_day] == ["2026-10-03", "2026-10-04", "2026-10-05"]
    book = load_workbook(BytesIO(write_report_xlsx(report)))
    assert {"totals", "by_day", "by_source", "top_works", "top_contributors"} <= set(
        book.sheetnames)
    assert book["totals"]["B2"].value == 5
    assert book["by_day"]["A2"].value == datetime(2026, 10, 3)  # a date cell, not text
    assert book["by_day"]["A2"].number_format == "yyyy-mm-dd"


def test_time_to_decision_counts_from_collection_not_from_posting(engine, tmp_path, db_url):
    old = make_post(created_at=at(1, 0), collected_at=at(1, 0))  # posted weeks before
    with session_scope(engine) as session:
        upsert_posts(session=session, posts=[old])  # stored (collected) now
    from cqfriends.store.models import utcnow

    set_state(engine, [old.key], status="approved", decided_at=utcnow() + timedelta(minutes=6))
    report = report_of(engine, make_settings(tmp_path, db_url))
    assert report["time_to_decision_hours"]["median"] == pytest.approx(0.1, abs=0.02)


def test_what_a_post_had_when_first_collected_counts_on_the_day_it_was_posted(
        engine, tmp_path, db_url):
    post = make_post(created_at=at(3, 4), collected_at=at(20, 4),
                     metrics=Metrics(likes=900, views=5000))
    with session_scope(engine) as session:
        upsert_posts(session=session, posts=[post])
        upsert_posts(session=session, posts=[replace(post, collected_at=at(21, 4),
                                                     metrics=Metrics(likes=950, views=5000))])
    report = report_of(engine, make_settings(tmp_path, db_url))
    days = {d["day"]: d for d in report["by_day"]}
    assert days["2026-10-03"]["growth"]["likes"] == 900 and days["2026-10-03"]["posts"] == 1
    assert days["2026-10-21"]["growth"]["likes"] == 50 and days["2026-10-21"]["posts"] == 0
    assert "2026-10-20" not in days  # the day of the import shows no burst
    only_21 = report_of(engine, make_settings(tmp_path, db_url), since=date(2026, 10, 21),
                        until=date(2026, 10, 21))
    assert only_21["growth"]["likes"] == 50


def test_control_characters_never_break_a_download(engine, tmp_path, db_url):
    from io import BytesIO

    from openpyxl import load_workbook

    nasty = make_post(text="Hotpot \x1b[31mred\x0b\x7f night #ChongqingFriends", lang="e\x01n",
                      author=Author(id="x", handle="bad\x07handle"))
    with session_scope(engine) as session:
        upsert_posts(session=session, posts=[nasty])
    set_state(engine, [nasty.key], status="approved", section="mobile")
    report = report_of(engine, make_settings(tmp_path, db_url))
    book = load_workbook(BytesIO(write_report_xlsx(report)))
    texts = [c.value for row in book["top_works"].iter_rows() for c in row]
    assert any(isinstance(t, str) and t.startswith("Hotpot \ufffd[31mred") for t in texts)
    archive = zipfile.ZipFile(BytesIO(write_report_zip(report)))
    assert "\x1b" not in archive.read("top_works.csv").decode("utf-8")
