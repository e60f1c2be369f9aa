"""In Debian's Chromium, with the media server stopped: staff see the archived copies."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from cqfriends.media.archive import Archive
from cqfriends.store.db import session_scope
from cqfriends.store.models import MediaItem
from cqfriends.store.users import create_user
from cqfriends.web.app import create_app
from tests.export.conftest import make_adder
from tests.media import files
from tests.media.conftest import media_settings, photo_post, video_post
from tests.web.browser import serve_in_thread, wait_until
from tests.web.sessions import PASSWORD, fast_passwords  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.fixture
def server(tmp_path, sqlite_url, media_server):
    settings = media_settings(tmp_path, sqlite_url)
    app = create_app(settings)
    engine = app.state.engine
    create_user(engine=engine, username="li", role="moderator", password=PASSWORD)
    photo = media_server.add("/p.jpg", files.jpeg(2400, 1600, orientation=6))
    video = media_server.add("/v.mp4", files.mp4(seconds=2.0), "video/mp4")
    make_adder(engine)(photo_post(photo), video_post(video), status="approved")
    assert Archive(settings, engine).run().failed == 0
    media_server.stop()  # from here on only our copies exist
    with session_scope(engine) as session:
        rows = {r.kind: r for r in session.exec(select(MediaItem))}
    with serve_in_thread(app) as url:
        yield url, rows


def log_in(tab, base: str, target: str) -> None:
    tab.goto(base + target)
    tab.fill("input[name=username]", "li")
    tab.fill("input[name=password]", PASSWORD)
    tab.click("form[action=\"/login\"] button[type=submit]")
    tab.wait_for_url(re.compile(r"/moderation"))


def test_archived_photos_posters_and_videos_load(page, server):  # noqa: F811
    base, rows = server
    log_in(page, base, "/moderation")
    photo, video = rows["photo"].sha256, rows["video"].sha256
    for path, size in ((f"/media/{photo}/display", (1067, 1600)),  # turned upright
                       (f"/media/{photo}/thumb", (320, 480)),
                       (f"/media/{video}/poster", (320, 240))):
        page.goto(base + path)
        shown = page.evaluate("[document.images[0].naturalWidth, document.images[0].naturalHeight]")
        assert tuple(shown) == size, path
    page.goto(base + f"/media/{video}/original")
    wait_until(page, "document.querySelector('video') && "
               "document.querySelector('video').readyState >= 1", timeout=10)
    duration = page.evaluate("document.querySelector('video').duration")
    assert 1.5 < duration < 2.5
    assert page.errors == []
