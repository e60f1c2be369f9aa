"""The theme page holds its own copies of the works' media (no platform link, no network)."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cqfriends.export.site import build_site
from cqfriends.normalize.post import Media
from tests.conftest import make_settings
from tests.export.archived import archive_all
from tests.export.conftest import set_state
from tests.factories import make_post

EXPIRED = "https://scontent.cdninstagram.com/v/t51/expired.jpg?oe=65A1B2C3"


@pytest.fixture
def site_settings(tmp_path, db_url):
    return make_settings(tmp_path, db_url)


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, list[dict[str, str]]] = {"img": [], "video": [], "source": []}

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.found:
            self.found[tag].append(dict(attrs))


def tags(root: Path, rel: str) -> dict[str, list[dict[str, str]]]:
    parser = Tags()
    parser.feed((root / rel).read_text())
    return parser.found


def test_cards_and_work_pages_use_the_folders_copies_with_srcset_lazy_and_sizes(
        engine, add_posts, site_settings):
    add_posts(make_post(text="Photo work"), featured=True)
    clip = Media("video", url="https://v.douyin.com/w.mp4", preview_url="")
    add_posts(make_post(source="douyin", text="Video work", media=[clip]), section="short-video")
    archive_all(engine, site_settings)
    build_site(engine=engine, settings=site_settings)
    root = Path(site_settings.export.site_dir)
    imgs = tags(root, "index.html")["img"]
    assert len(imgs) == 3  # featured strip + two sections
    for img in imgs:
        assert img.get("loading") == "lazy" and int(img.get("width")) > 0
        assert int(img.get("height")) > 0 and re.fullmatch(r"media/.+\.(webp|jpg)",
                                                           img.get("src"))
        assert (root / img.get("src")).is_file()
        for candidate in img.get("srcset").split(", "):
            path, width = candidate.split(" ")
            assert (root / path).is_file() and width.endswith("w")
    pages = [tags(root, w.relative_to(root).as_posix()) for w in (root / "works").rglob("*.html")]
    ((video, source),) = [(p["video"][0], p["source"][0]) for p in pages if p["video"]]
    poster = video.get("poster")
    assert poster.startswith("../../media/") and poster.endswith("/poster.jpg")
    assert source.get("type") == "video/mp4" and source.get("src").endswith("/original.mp4")
    assert (root / "works/x" / poster).resolve().is_file()
    all_pages = "".join(p.read_text() for p in root.rglob("*.html"))
    assert "https://pbs.twimg.com" not in all_pages and "douyin.com/w.mp4" not in all_pages


def test_a_work_without_a_copy_gets_a_placeholder_never_a_hot_link(engine, add_posts,
                                                                   site_settings):
    add_posts(make_post(text="Expired link", media=[Media("photo", url=EXPIRED)]))
    archive_all(engine, site_settings, missing={EXPIRED})
    add_posts(make_post(text="Not fetched yet"))
    build_site(engine=engine, settings=site_settings)
    root = Path(site_settings.export.site_dir)
    index = (root / "index.html").read_text()
    assert "cdninstagram" not in index and "pbs.twimg.com" not in index and "<img" not in index
    assert "The photo will be here soon." in index
    assert "This work's photo or video is not available." in index


def test_zh_placeholders_are_translated(engine, add_posts, tmp_path, db_url):
    settings = make_settings(tmp_path, db_url)
    settings = settings.model_copy(update={"export": settings.export.model_copy(
        update={"language": "zh-Hans"})})
    add_posts(make_post(text="Not fetched yet"))
    build_site(engine=engine, settings=settings)
    index = (Path(settings.export.site_dir) / "index.html").read_text()
    assert "The photo will be here soon." not in index and "照片" in index


def test_a_takedown_removes_the_works_files_at_the_next_export(engine, add_posts, site_settings):
    (kept,) = add_posts(make_post(text="Stays"))
    (gone,) = add_posts(make_post(text="Goes"))
    archive_all(engine, site_settings)
    build_site(engine=engine, settings=site_settings)
    root = Path(site_settings.export.site_dir)
    builds = root.parent / ".site.builds"
    before = [p for p in builds.rglob("*") if p.is_file() and "/media/" in str(p)]
    assert len(before) == 4  # display + thumb of each photo
    first_build = root.resolve()
    set_state(engine, [gone], status="removed")
    result = build_site(engine=engine, settings=site_settings)
    assert result.removed == 3  # its page, display and thumb
    left = [p for p in builds.rglob("*") if p.is_file() and "/media/" in str(p)]
    published = {p.parent.name for p in (root / "media").rglob("*") if p.is_file()}
    assert {p.parent.name for p in left} == published  # the build before has none of it
    assert len(published) == 1 and first_build.exists()
    assert build_site(engine=engine, settings=site_settings).written == 0


def test_files_are_copied_once_then_linked(engine, add_posts, site_settings, monkeypatch):
    add_posts(make_post(text="One"))
    archive_all(engine, site_settings)
    build_site(engine=engine, settings=site_settings)
    add_posts(make_post(text="Two", media=[]))
    from cqfriends.media import storage

    reads: list[str] = []
    real = storage.LocalStore.read
    monkeypatch.setattr(storage.LocalStore, "read",
                        lambda self, key, *a: reads.append(key) or real(self, key, *a))
    assert build_site(engine=engine, settings=site_settings).published
    assert reads == []  # the published copies were linked into the new build, not read again
