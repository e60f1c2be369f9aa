import os
import re
import threading
from pathlib import Path

import pytest

from cqfriends.export.publish import Publisher
from cqfriends.export.site import build_site
from tests.conftest import make_settings
from tests.export.archived import archive_all
from tests.export.conftest import nasty_post, set_state
from tests.factories import make_post


@pytest.fixture
def site_settings(tmp_path, db_url):
    return make_settings(tmp_path, db_url)


def all_html(root: Path) -> str:
    return "\n".join(p.read_text() for p in sorted(root.rglob("*.html")))


def test_site_has_sections_featured_strip_and_work_pages(engine, add_posts, site_settings):
    add_posts(make_post(text="Cable car over the Yangtze"), featured=True)
    add_posts(make_post(text="Hongyadong at night"), section="professional")
    add_posts(make_post(text="Dialect lesson", media=[]), section="short-video")
    result = build_site(engine=engine, settings=site_settings)
    root = Path(site_settings.export.site_dir)
    index = (root / "index.html").read_text()
    for name in ("Mobile phone works", "Professional works", "Short video works",
                 "Featured works", "Cable car over the Yangtze"):
        assert name in index
    assert len(list((root / "works").rglob("*.html"))) == 3
    assert (root / "sections/professional/index.html").exists()
    assert result.published and (root / "assets/site.css").exists()
    head = index.split("</head>")[0]
    assert "http" not in head and "<script" not in index  # no CDN, no external assets


def test_participant_text_is_escaped_and_only_http_urls_are_emitted(engine, add_posts,
                                                                       site_settings):
    add_posts(nasty_post(url="javascript:alert(4)"), featured=True)
    archive_all(engine, site_settings)
    build_site(engine=engine, settings=site_settings)
    html = all_html(Path(site_settings.export.site_dir))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=window.__pwned=2&gt;" in html
    assert "javascript:" not in html
    assert "pbs.twimg.com" not in html  # our copy, never the platform's link
    assert re.search(r'src="\.\./\.\./media/[0-9a-f]{2}/[0-9a-f]{64}/display\.jpg"', html)
    assert "View the original post" not in html  # its URL was javascript: -> no link


def test_only_approved_posts_and_takedowns_leave_the_site(engine, add_posts, site_settings):
    (shown,) = add_posts(make_post(text="Approved noodles"))
    add_posts(make_post(text="Pending noodles"), status="pending")
    add_posts(make_post(text="Rejected noodles"), status="rejected")
    (gone,) = add_posts(make_post(text="Taken down noodles"))
    build_site(engine=engine, settings=site_settings)
    root = Path(site_settings.export.site_dir)
    assert "Taken down noodles" in all_html(root)
    set_state(engine, [gone], status="removed")
    build_site(engine=engine, settings=site_settings)
    html = all_html(root)
    assert "Approved noodles" in html
    for text in ("Pending noodles", "Rejected noodles", "Taken down noodles"):
        assert text not in html
    assert len(list((root / "works").rglob("*.html"))) == 1


def test_sections_are_paginated(engine, add_posts, tmp_path, db_url):
    settings = make_settings(tmp_path, db_url)
    settings = settings.model_copy(update={"export": settings.export.model_copy(
        update={"page_size": 2})})
    add_posts(*(make_post() for _ in range(5)))
    build_site(engine=engine, settings=settings)
    section = Path(settings.export.site_dir) / "sections/mobile"
    assert sorted(p.name for p in section.iterdir()) == ["index.html", "page-2.html",
                                                         "page-3.html"]
    assert "Page 2 of 3" in (section / "page-2.html").read_text()


def test_rebuild_with_nothing_changed_rewrites_nothing(engine, add_posts, site_settings):
    add_posts(make_post(), make_post())
    build_site(engine=engine, settings=site_settings)
    root = Path(site_settings.export.site_dir)
    before = {p: (p.stat().st_mtime_ns, p.stat().st_ino) for p in root.rglob("*") if p.is_file()}
    target = os.readlink(root)
    again = build_site(engine=engine, settings=site_settings)
    assert (again.written, again.published) == (0, False)
    assert os.readlink(root) == target
    assert {p: (p.stat().st_mtime_ns, p.stat().st_ino) for p in before} == before
    add_posts(make_post(text="One more"))
    third = build_site(engine=engine, settings=site_settings)
    assert third.published and third.unchanged >= 3  # untouched work pages are hard links
    for p, (mtime, _) in before.items():
        if "works/" in str(p):
            assert (root / p.relative_to(root)).stat().st_mtime_ns == mtime


def test_publish_is_atomic_a_reader_sees_old_or_new_never_half(tmp_path):
    target = tmp_path / "site"

    def publish(version: str) -> None:
        publisher = Publisher(target)
        for i in range(50):
            publisher.write(f"works/{i}.html", f"{version}-{i}".encode())
        publisher.commit()

    publish("v1")
    seen: set[frozenset[str]] = set()
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            try:
                root = os.path.realpath(target)
                versions = {Path(root, "works", f"{i}.html").read_text().split("-")[0]
                            for i in range(50)}
            except FileNotFoundError:
                continue  # the previous build was pruned mid-read: retried, never mixed
            seen.add(frozenset(versions))

    reader = threading.Thread(target=read)
    reader.start()
    for n in range(2, 12):
        publish(f"v{n}")
    stop.set()
    reader.join()
    assert seen and all(len(v) == 1 for v in seen)
    assert (target / "works/0.html").read_text() == "v11-0"


def test_a_failed_build_leaves_the_published_site(tmp_path):
    target = tmp_path / "site"
    first = Publisher(target)
    first.write("index.html", b"old")
    first.commit()
    broken = Publisher(target)
    broken.write("index.html", b"half")
    broken.abort()
    assert (target / "index.html").read_bytes() == b"old"
    assert len(list((tmp_path / ".site.builds").iterdir())) == 1
