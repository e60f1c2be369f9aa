"""jobs/media.py: the media job follows collections and imports, and only works when cued."""

from __future__ import annotations

import threading
from datetime import timedelta

import sqlalchemy as sa

from cqfriends.jobs.ingest import import_files
from cqfriends.jobs.media import MediaJob
from cqfriends.media.archive import Archive
from cqfriends.scheduler import build_jobs
from cqfriends.store.db import session_scope
from cqfriends.store.models import MediaItem, utcnow
from tests.factories import make_post
from tests.media import files
from tests.media.conftest import media_settings, photo_post


def test_the_job_works_after_new_posts_and_rests_otherwise(tmp_path, engine, db_url,
                                                            media_server, add_posts):
    settings = media_settings(tmp_path, db_url)
    job = MediaJob(settings, engine)
    add_posts(photo_post(media_server.add("/a.jpg", files.jpeg())), status="approved")
    assert job.run_if_due().line() == "fetched 1, failed 0, skipped 0"
    assert job.run_if_due() == "nothing new"
    hits = len(media_server.hits)
    add_posts(photo_post(media_server.add("/b.jpg", files.jpeg(seed=2))), status="pending")
    assert job.run_if_due().line() == "fetched 1, failed 0, skipped 0"
    assert len(media_server.hits) == hits + 1


def test_a_due_retry_wakes_the_job(tmp_path, engine, db_url, media_server, add_posts):
    from tests.media.server import Route

    settings = media_settings(tmp_path, db_url)
    media_server.routes["/busy.jpg"] = Route(b"", 503, "text/plain")
    add_posts(photo_post(media_server.url("/busy.jpg")), status="approved")
    job = MediaJob(settings, engine)
    assert job.run_if_due().retrying == 1
    assert job.run_if_due() == "nothing new"
    with session_scope(engine, write=True) as session:
        session.execute(sa.update(MediaItem).values(retry_at=utcnow() - timedelta(seconds=1)))
    media_server.add("/busy.jpg", files.jpeg())
    assert job.run_if_due().line() == "fetched 1, failed 0, skipped 0"


def test_douyin_files_are_fetched_right_after_an_import(tmp_path, engine, db_url, media_server):
    settings = media_settings(tmp_path, db_url)
    video, cover = media_server.add("/dy.mp4", files.mp4(), "video/mp4"), \
        media_server.add("/dy.jpg", files.jpeg())
    export = tmp_path / "topic.ndjson"
    export.write_text(
        '{"aweme_id": "7300000000000000001", "desc": "Hotpot #外国人在重庆", '
        '"create_time": 1790000000, "author": {"uid": "42", "nickname": "Lao Wai"}, '
        f'"video": {{"play_addr": {{"url_list": ["{video}"]}}, '
        f'"cover": {{"url_list": ["{cover}"]}}, "duration": 2000}}, '
        '"statistics": {"digg_count": 3}}\n', encoding="utf-8")
    assert import_files("douyin", [export], engine=engine, settings=settings).new == 1
    summary = MediaJob(settings, engine).run_if_due()  # the post is not even checked yet
    assert summary.line() == "fetched 2, failed 0, skipped 0"
    with session_scope(engine) as session:
        kinds = sorted(session.execute(sa.select(MediaItem.role, MediaItem.kind)).all())
    assert kinds == [("full", "video"), ("preview", "photo")]


def test_a_stopping_run_gives_its_claims_back(tmp_path, engine, db_url, media_server,
                                              add_posts):
    settings = media_settings(tmp_path, db_url)
    add_posts(photo_post(media_server.add("/a.jpg", files.jpeg())), status="approved")
    stop = threading.Event()
    stop.set()
    archive = Archive(settings, engine)
    assert archive.run(stop=stop).line() == "fetched 0, failed 0, skipped 0"
    archive.stop = stop
    from cqfriends.store.media import claim_due

    with session_scope(engine, write=True) as session:
        [item] = claim_due(session=session, now=utcnow(), limit=5, lease=timedelta(minutes=5))
    assert archive.archive_one(item) == "stopped"
    with session_scope(engine) as session:
        assert session.get(MediaItem, item.id).state == "due"


def test_the_scheduler_has_a_media_job_unless_fetching_is_off(tmp_path, engine, db_url):
    settings = media_settings(tmp_path, db_url)
    jobs = {j.id: j for j in build_jobs(settings, engine)}
    assert jobs["media"].trigger.interval == timedelta(seconds=60)
    assert "media.fetch: queued" in jobs["media"].name
    off = media_settings(tmp_path, db_url, fetch="off")
    assert "media" not in {j.id for j in build_jobs(off, engine)}


def test_checks_keep_the_media_flag(tmp_path, engine, db_url, media_server, add_posts):
    from cqfriends.moderation.checks.runner import run_checks
    from cqfriends.store.models import PostRow

    settings = media_settings(tmp_path, db_url)
    post = make_post(media=[])
    add_posts(post, status="collected")
    flag = {"code": "media-missing", "detail": "photo 1: HTTP 404"}
    with session_scope(engine, write=True) as session:
        session.execute(sa.update(PostRow).values(flags=[flag], checked_at=None))
    run_checks(engine=engine, settings=settings)
    run_checks(engine=engine, settings=settings, recheck=True)
    with session_scope(engine) as session:
        [row] = session.execute(sa.select(PostRow.flags)).scalars().all()
    assert flag in row
