"""/media/<sha256>/<name>: archived files for logged-in staff, typed by the archive."""

from __future__ import annotations

import pytest
from sqlmodel import select

from cqfriends.media.archive import Archive
from cqfriends.moderation.decisions import Decision, decide
from cqfriends.store.db import session_scope
from cqfriends.store.models import MediaItem
from cqfriends.store.users import get_user
from tests.media import files
from tests.media.conftest import photo_post, video_post
from tests.web.sessions import fast_passwords, login, make_client  # noqa: F401


@pytest.fixture
def archived(engine, settings_for, backend, media_server, add_posts):
    settings = settings_for(**backend)
    photo = media_server.add("/looks-like.png", files.jpeg(2000, 1500), "image/png")
    video = media_server.add("/clip.mp4", files.mp4(), "video/mp4")
    keys = add_posts(photo_post(photo), video_post(video, source="twitter"), status="approved")
    assert Archive(settings, engine).run().failed == 0
    with session_scope(engine) as session:
        rows = {r.kind: r for r in session.exec(select(MediaItem))}
    return settings, rows, keys


def test_staff_only(archived):
    settings, rows, _ = archived
    client = make_client(settings)
    path = f"/media/{rows['photo'].sha256}/display"
    assert client.get(path, headers={"accept": "text/html"}).status_code == 303
    assert client.get(path, headers={"accept": "application/json"}).status_code == 401


@pytest.mark.parametrize(("name", "mime"), [("original", "image/jpeg"),
                                            ("display", "image/jpeg"), ("thumb", "image/webp")])
def test_files_carry_the_type_the_archive_recorded(archived, name, mime):
    settings, rows, _ = archived
    client = make_client(settings)
    login(client, "manager1", "manager")
    response = client.get(f"/media/{rows['photo'].sha256}/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"] == mime  # a JPEG named .png and sent as image/png
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-length"] == str(len(response.content))
    if name == "original":
        assert response.content == files.jpeg(2000, 1500)


def test_videos_play_with_byte_ranges(archived):
    settings, rows, _ = archived
    client = make_client(settings)
    login(client, "mod1", "moderator")
    video = rows["video"]
    whole = client.get(f"/media/{video.sha256}/original")
    assert whole.headers["content-type"] == "video/mp4" and len(whole.content) == video.size_bytes
    part = client.get(f"/media/{video.sha256}/original", headers={"range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == whole.content[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{video.size_bytes}"
    tail = client.get(f"/media/{video.sha256}/original", headers={"range": "bytes=-10"})
    assert tail.content == whole.content[-10:]
    beyond = client.get(f"/media/{video.sha256}/original",
                        headers={"range": f"bytes={video.size_bytes}-"})
    assert beyond.status_code == 416
    poster = client.get(f"/media/{video.sha256}/poster")
    assert poster.headers["content-type"] == "image/jpeg"


@pytest.mark.parametrize("path", ["/media/" + "0" * 64 + "/display", "/media/nothex/display",
                                  "/media/{sha}/exif", "/media/{sha}/../../config.yaml",
                                  "/media/{sha}/poster"])
def test_unknown_files_are_404(archived, path):
    settings, rows, _ = archived
    client = make_client(settings)
    login(client, "mod1", "moderator")
    assert client.get(path.format(sha=rows["photo"].sha256)).status_code == 404


def test_a_taken_down_work_is_no_longer_served(archived, engine):
    settings, rows, keys = archived
    client = make_client(settings)
    login(client, "boss", "admin")
    path = f"/media/{rows['photo'].sha256}/thumb"
    assert client.get(path).status_code == 200
    with session_scope(engine) as session:
        user = get_user(session=session, username="boss")
    decide(engine=engine, settings=settings, key=keys[0],
           decision=Decision("takedown", reason="author-request"), user=user)
    assert client.get(path).status_code == 404
