"""scheduler.py: jobs built from config, the CLI commands, and a clean stop under SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from pydantic import SecretStr
from typer.testing import CliRunner

from cqfriends.cli import get_app
from cqfriends.scheduler import JOB_DEFAULTS, build_jobs, build_scheduler, logged
from cqfriends.settings import Settings
from cqfriends.store.db import get_engine
from cqfriends.store.models import SourceState
from tests.conftest import ROOT
from tests.processes import free_port, wait_for


def with_sources(settings: Settings, *, twitter: bool, facebook: bool, douyin: bool = True
                 ) -> Settings:
    s = settings.sources
    sources = s.model_copy(update={
        "twitter": s.twitter.model_copy(update={"enabled": twitter,
                                                "bearer_token": SecretStr("t0ken")}),
        "facebook": s.facebook.model_copy(update={"enabled": facebook}),
        "douyin": s.douyin.model_copy(update={"enabled": douyin})})
    return settings.model_copy(update={"sources": sources})


@pytest.mark.parametrize(("twitter", "facebook", "douyin", "expected"), [
    (True, True, True, ["collect:twitter", "collect:facebook", "watch:douyin", "metrics",
                        "checks", "maintenance"]),
    (False, False, True, ["watch:douyin", "checks", "maintenance"]),
    (True, False, False, ["collect:twitter", "metrics", "checks", "maintenance"]),
])
def test_jobs_follow_the_enabled_sources(settings, twitter, facebook, douyin, expected):
    configured = with_sources(settings, twitter=twitter, facebook=facebook, douyin=douyin)
    ids = [j.id for j in build_jobs(configured, get_engine(settings.database.url))]
    assert [i for i in ids if i not in ("export", "media", "uploads")] == expected


def test_intervals_jitter_and_time_zone_come_from_the_config(settings):
    configured = with_sources(settings, twitter=True, facebook=True)
    jobs = {j.id: j for j in build_jobs(configured, get_engine(settings.database.url))}
    twitter, facebook = jobs["collect:twitter"].trigger, jobs["collect:facebook"].trigger
    assert isinstance(twitter, IntervalTrigger)
    assert twitter.interval == timedelta(minutes=15) and twitter.jitter == 60
    assert facebook.interval == timedelta(minutes=30) and facebook.jitter == 120
    assert jobs["watch:douyin"].trigger.interval == timedelta(minutes=5)
    assert jobs["metrics"].trigger.interval == timedelta(minutes=60)
    assert isinstance(jobs["maintenance"].trigger, CronTrigger)
    assert str(twitter.timezone) == "Asia/Shanghai" == str(jobs["maintenance"].trigger.timezone)
    assert jobs["collect:twitter"].first_run is not None  # a fresh start collects soon


def test_the_scheduler_runs_each_job_once_at_a_time(settings):
    configured = with_sources(settings, twitter=True, facebook=False)
    scheduler = build_scheduler(configured, get_engine(settings.database.url))
    assert JOB_DEFAULTS == {"max_instances": 1, "coalesce": True, "misfire_grace_time": 300}
    scheduler.start(paused=True)
    try:
        for job in scheduler.get_jobs():
            assert (job.max_instances, job.coalesce, job.misfire_grace_time) == (1, True, 300)
    finally:
        scheduler.shutdown(wait=False)


def test_a_job_run_logs_one_line_and_never_raises(settings, caplog):
    configured = with_sources(settings, twitter=False, facebook=False)
    spec = next(j for j in build_jobs(configured, get_engine(settings.database.url))
                if j.id == "watch:douyin")
    caplog.set_level("INFO", logger="cqfriends.scheduler")
    logged(spec)()
    boom = type(spec)("boom", "fails", spec.trigger, lambda: 1 / 0)
    logged(boom)()
    lines = [r.getMessage() for r in caplog.records if r.name == "cqfriends.scheduler"]
    assert lines[0].startswith("job watch:douyin: douyin: fetched 0")
    assert lines[1].startswith("job boom failed")


@pytest.fixture
def config_file(tmp_path: Path, sqlite_url: str) -> Path:
    path = tmp_path / "config.yaml"
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace("url: sqlite:///cqfriends.db", f"url: {sqlite_url}"),
                    encoding="utf-8")
    return path


def test_cqf_jobs_and_status(config_file):
    runner = CliRunner()
    jobs = runner.invoke(get_app(), ["jobs", "--config", str(config_file)])
    assert jobs.exit_code == 0, jobs.output
    assert "watch:douyin" in jobs.output and "maintenance" in jobs.output
    status = runner.invoke(get_app(), ["status", "--format", "json",
                                       "--config", str(config_file)])
    assert status.exit_code == 0, status.output
    report = json.loads(status.output)
    assert [s["source"] for s in report["sources"]] == ["twitter", "facebook", "douyin"]
    twitter = report["sources"][0]
    assert (twitter["enabled"], twitter["token"], twitter["next_run_at"]) == (False, "missing",
                                                                              None)
    assert report["scheduler"]["running"] is False and report["ok"] is False
    assert report["queue"] == {"backlog": 0, "pending": 0, "unchecked": 0, "unchecked_stale": 0,
                               "by_status": {}}
    table = runner.invoke(get_app(), ["status", "--config", str(config_file)])
    assert "not running" in table.output and "queue backlog: 0" in table.output


# --- SIGTERM / kill -9 during a collection, in a real `cqf run`-like process ---------------

PAGES, PER_PAGE = 8, 2
FAKE_RUN = textwrap.dedent('''
    import sys, time
    from datetime import UTC, datetime
    sys.path.insert(0, {root!r})
    import cqfriends.collectors.twitter
    from cqfriends.cli import main  # noqa: F401 - the cqf logging setup below
    import logging
    from cqfriends.normalize.post import RawRecord
    from pydantic import SecretStr
    from cqfriends.mainjob import MainJob, claim_sqlite_leadership, serve
    from cqfriends.settings import load_settings
    from cqfriends.store.db import get_engine, migrate

    def page(n):
        ids = [str(1980000000000000000 + n * 10 + i) for i in range({per_page})]
        return {{"data": [{{"id": i, "text": "Hotpot night " + i + " #ChongqingFriends",
                           "author_id": "42", "created_at": "2026-10-04T08:00:00.000Z",
                           "public_metrics": {{"like_count": 1}}}} for i in ids],
                "includes": {{"users": [{{"id": "42", "name": "Friend", "username": "friend"}}]}},
                "meta": {{"newest_id": ids[-1], "oldest_id": ids[0], "result_count": len(ids)}}}}

    def fake_collect(cfg, cursor, client=None):
        start = cursor.get("page", -1) + 1
        with open({log!r}, "a") as f:
            f.write(str(start) + "\\n")
        for n in range(start, {pages}):
            time.sleep({delay})  # the API takes its time
            yield RawRecord(source="twitter", kind="search_page", data=page(n), origin="fake",
                            fetched_at=datetime.now(UTC), cursor_after={{"page": n}})

    cqfriends.collectors.twitter.collect = fake_collect
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    settings = load_settings({config!r}, {{"CQF_DATABASE_URL": {url!r}}})
    twitter = settings.sources.twitter.model_copy(
        update={{"enabled": True, "bearer_token": SecretStr("fake")}})
    settings = settings.model_copy(update={{"sources": settings.sources.model_copy(
        update={{"twitter": twitter}})}})
    migrate(settings.database.url)
    main = MainJob(settings, get_engine(settings.database.url))
    claim_sqlite_leadership(main)
    serve(settings, main, host="127.0.0.1", port={port})
''')


def start_fake_run(tmp_path: Path, url: str, delay: float = 0.4) -> subprocess.Popen:
    script, config = tmp_path / "fake_run.py", tmp_path / "config.yaml"  # exports go to tmp
    config.write_text((ROOT / "config.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    script.write_text(FAKE_RUN.format(root=str(ROOT), per_page=PER_PAGE, pages=PAGES,
                                      log=str(tmp_path / "starts.log"),
                                      config=str(config), url=url, delay=delay,
                                      port=free_port()), encoding="utf-8")
    return subprocess.Popen([sys.executable, str(script)], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=open(tmp_path / "run.log", "ab"))


def committed(url: str) -> tuple[int, int, int]:
    """(posts, cursor page, runs) as stored."""
    with get_engine(url).connect() as conn:
        posts = conn.execute(sa.text("SELECT count(*) FROM post")).scalar_one()
        cursor = conn.execute(sa.text(
            "SELECT cursor FROM source_state WHERE source = 'twitter'")).scalar()
        runs = conn.execute(sa.text(
            "SELECT count(*) FROM collector_run WHERE source = 'twitter'")).scalar_one()
    page = json.loads(cursor).get("page", -1) if cursor else -1
    return posts, page, runs


@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
def test_stop_during_a_collection_loses_and_duplicates_nothing(tmp_path, sqlite_url, how):
    proc = start_fake_run(tmp_path, sqlite_url)
    try:
        wait_for(lambda: committed(sqlite_url)[1] >= 2, 30, proc)  # mid-run: page 2 stored
        sent = time.monotonic()
        os.kill(proc.pid, getattr(signal, how))
        code = proc.wait(timeout=10)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
    if how == "SIGTERM":
        assert code == 0 and took < 10, (tmp_path / "run.log").read_text()
    posts, page, _ = committed(sqlite_url)
    assert page < PAGES - 1  # really stopped mid-collection
    assert posts == PER_PAGE * (page + 1)  # every stored page has its cursor, and vice versa

    again = start_fake_run(tmp_path, sqlite_url)
    try:
        wait_for(lambda: committed(sqlite_url)[1] == PAGES - 1, 30, again)
        time.sleep(0.5)  # the run record is finished after the last page
    finally:
        again.send_signal(signal.SIGTERM)
        assert again.wait(timeout=10) == 0
    starts = [int(x) for x in (tmp_path / "starts.log").read_text().split()]
    assert starts == [0, page + 1]  # resumed from the last committed cursor
    posts, _, runs = committed(sqlite_url)
    assert posts == PER_PAGE * PAGES and runs == 2
    with get_engine(sqlite_url).connect() as conn:
        new = conn.execute(sa.text(
            "SELECT sum(new), sum(updated) FROM collector_run WHERE source = 'twitter'")).one()
    if how == "SIGTERM":
        assert tuple(new) == (PER_PAGE * PAGES, 0)  # no page stored twice
    with get_engine(sqlite_url).connect() as conn:
        errors = conn.execute(sa.text("SELECT error FROM collector_run WHERE source = 'twitter'"
                                      " ORDER BY id")).scalars().all()
    assert errors == ([None, None] if how == "SIGTERM"
                      else ["interrupted: the process stopped mid-run", None])


def test_maintenance_releases_expired_claims_only(engine):
    from cqfriends.scheduler import run_maintenance
    from cqfriends.store.db import session_scope
    from cqfriends.store.models import PostRow, utcnow
    from cqfriends.store.posts import upsert_posts
    from tests.factories import make_post

    with session_scope(engine) as session:
        upsert_posts(session=session, posts=[make_post(), make_post()])
        expired, held = session.scalars(sa.select(PostRow).order_by(PostRow.id)).all()
        expired.claimed_by, expired.claimed_until = "mod1", utcnow() - timedelta(minutes=1)
        held.claimed_by, held.claimed_until = "mod2", utcnow() + timedelta(minutes=10)
    assert run_maintenance(engine).startswith("released 1 expired claims")
    with session_scope(engine) as session:
        claims = [(r.claimed_by, r.claimed_until is None)
                  for r in session.scalars(sa.select(PostRow).order_by(PostRow.id))]
    assert claims == [(None, True), ("mod2", False)]


def test_cqf_collect_runs_the_watch_folder_once(config_file, tmp_path):
    config_file.write_text(config_file.read_text(encoding="utf-8").replace(
        "settle_seconds: 30", "settle_seconds: 0"), encoding="utf-8")
    inbox = tmp_path / "douyin-inbox"
    inbox.mkdir()
    export = inbox / "topic.csv"
    export.write_text("作品ID,作品描述,发布时间,账号昵称,点赞数量\n"
                      "7432600000000000901,山城步道 #chongqingfriends,2026-10-06 15:20:00,Leo,12\n",
                      encoding="utf-8")
    result = CliRunner().invoke(get_app(), ["collect", "--config", str(config_file)])
    assert result.exit_code == 0, result.output
    assert "douyin: fetched 1, new 1" in result.output
    assert (inbox / "done" / "topic.csv").exists()
    unknown = CliRunner().invoke(get_app(), ["collect", "myspace", "--config", str(config_file)])
    assert unknown.exit_code != 0


NOW = datetime(2026, 10, 7, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("state", "last_start", "token", "expected"), [
    (None, None, "ok", NOW),  # never ran: due at once
    (None, NOW - timedelta(minutes=5), "ok", NOW + timedelta(minutes=10)),
    (None, NOW - timedelta(hours=1), "ok", NOW),  # overdue (the process was down)
    (SourceState(source="twitter", state="rate_limited", reset_at=NOW + timedelta(hours=1)),
     NOW - timedelta(minutes=5), "ok", NOW + timedelta(hours=1)),
    (SourceState(source="twitter", state="broken"), NOW, "refused", None),
    (SourceState(source="twitter", state="broken"), NOW, "new", NOW + timedelta(minutes=15)),
    (None, None, "missing", None),
])
def test_next_run_honours_reset_times_and_refused_tokens(state, last_start, token, expected):
    from cqfriends.jobs.status import next_run
    from cqfriends.settings import TwitterSource

    cfg = TwitterSource(enabled=True)
    assert next_run(cfg, state, last_start, NOW, token) == expected


def test_a_hung_api_call_does_not_hold_up_the_exit(tmp_path, sqlite_url):
    proc = start_fake_run(tmp_path, sqlite_url, delay=60)  # the first page never comes
    try:
        wait_for(lambda: (tmp_path / "starts.log").exists(), 30, proc)
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=12)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0 and time.monotonic() - sent < 10
    assert "still running after" in (tmp_path / "run.log").read_text()


EXPORTED: list[str] = []


def record_export(*, engine, settings, out_dir) -> None:
    EXPORTED.append(out_dir)


def test_exports_are_regenerated_only_when_posts_or_their_archived_media_changed(settings):
    from cqfriends.jobs.exports import Exporter
    from cqfriends.store.db import session_scope
    from cqfriends.store.posts import upsert_posts
    from tests.factories import make_post

    engine = get_engine(settings.database.url)
    exporter = Exporter(settings, engine, [("tests.test_scheduler", "record_export", "site_dir"),
                                           ("cqfriends.export.nothing_here", "build", "led_dir")])
    assert exporter.names == ["test_scheduler"]  # a missing exporter is left out
    EXPORTED.clear()
    with session_scope(engine) as session:
        upsert_posts(session=session, posts=[make_post()])
    assert exporter.run_if_changed().startswith("exported")
    assert exporter.run_if_changed() == "unchanged"
    with session_scope(engine) as session:
        upsert_posts(session=session, posts=[make_post()])
    assert exporter.run_if_changed().startswith("exported")
    assert EXPORTED == [settings.export.site_dir] * 2
    from cqfriends.store.models import PostRow
    from tests.export.archived import archive_all

    with session_scope(engine) as session:
        session.execute(sa.update(PostRow).values(status="approved"))
    exporter.run_if_changed()
    assert archive_all(engine, settings).fetched  # a copy made after the approval
    assert exporter.run_if_changed().startswith("exported")  # ... is exported too
