"""A takedown removes the work's archived files at once, from the folder and the bucket alike."""

from __future__ import annotations

from sqlmodel import select

from cqfriends.media.archive import Archive
from cqfriends.media.storage import open_store
from cqfriends.media.takedown import files_of, sweep_takedowns
from cqfriends.moderation.decisions import Decision, decide
from cqfriends.store.db import session_scope
from cqfriends.store.models import MediaItem
from cqfriends.store.users import create_user, get_user
from tests.media import files
from tests.media.conftest import photo_post


def admin(engine):
    create_user(engine=engine, username="root", role="admin", password="long-enough-pw")
    with session_scope(engine) as session:
        return get_user(session=session, username="root")


def keys(settings) -> set[str]:
    return {k for k, _ in open_store(settings).keys()}


def test_a_takedown_deletes_the_files_at_once(engine, settings_for, backend, media_server,
                                             add_posts):
    settings = settings_for(**backend)
    gone, kept = media_server.add("/gone.jpg", files.jpeg(seed=1)), \
        media_server.add("/kept.jpg", files.jpeg(seed=2))
    [taken, other] = add_posts(photo_post(gone), photo_post(kept), status="approved")
    Archive(settings, engine).run()
    before = keys(settings)
    assert len(before) == 6
    decide(engine=engine, settings=settings, key=taken,
           decision=Decision("takedown", reason="author-request"), user=admin(engine))
    with session_scope(engine) as session:
        items = {r.url: r for r in session.exec(select(MediaItem))}
    assert items[gone].state == "removed" and items[gone].derived == {}
    left = keys(settings)
    assert not set(files_of(items[gone].sha256)) & left
    assert len(left) == 3 and items[kept].state == "archived"
    assert Archive(settings, engine).run().line() == "fetched 0, failed 0, skipped 0"


def test_the_same_bytes_in_another_live_work_stay(engine, settings_for, media_server,
                                                  add_posts):
    settings = settings_for()
    data = files.jpeg(seed=3)
    one, two = media_server.add("/1.jpg", data), media_server.add("/2.jpg", data)
    [taken, _] = add_posts(photo_post(one), photo_post(two), status="approved")
    Archive(settings, engine).run()
    decide(engine=engine, settings=settings, key=taken,
           decision=Decision("takedown", reason="duplicate"), user=admin(engine))
    assert len(keys(settings)) == 3  # the other work still shows them


def test_a_failed_deletion_is_swept_by_the_next_run(engine, settings_for, media_server,
                                                    add_posts, monkeypatch):
    import cqfriends.media.storage as storage

    settings = settings_for()
    [taken] = add_posts(photo_post(media_server.add("/x.jpg", files.jpeg())), status="approved")
    Archive(settings, engine).run()

    def broken(self, keys):
        raise OSError("disk went away")

    with monkeypatch.context() as patch:
        patch.setattr(storage.LocalStore, "delete", broken)
        decide(engine=engine, settings=settings, key=taken,  # the takedown itself stands
               decision=Decision("takedown", reason="author-request"), user=admin(engine))
    assert len(keys(settings)) == 3
    assert sweep_takedowns(engine=engine, settings=settings, store=open_store(settings)) == 1
    assert keys(settings) == set()
