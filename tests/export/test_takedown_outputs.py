"""A takedown from the console's decision code: the archive loses the work's files at once;
the next site build and LED export leave them out of their folders."""

from pathlib import Path

from cqfriends.export.led import write_led
from cqfriends.export.site import build_site
from cqfriends.media.storage import open_store
from cqfriends.moderation.decisions import Decision, decide
from cqfriends.store.db import session_scope
from cqfriends.store.users import create_user, get_user
from tests.conftest import make_settings
from tests.export.archived import archive_all
from tests.factories import make_post


def media_files(folder: Path) -> set[str]:
    return {p.parent.name for p in (folder / "media").rglob("*") if p.is_file()}


def test_a_takedown_empties_the_archive_now_and_the_folders_at_the_next_export(
        engine, add_posts, tmp_path, db_url):
    settings = make_settings(tmp_path, db_url)
    taken, kept = add_posts(make_post(text="Goes"), make_post(text="Stays"), featured=True)
    archive_all(engine, settings)
    build_site(engine=engine, settings=settings)
    write_led(engine=engine, settings=settings)
    site, led = Path(settings.export.site_dir), Path(settings.export.led_dir)
    assert len(media_files(site)) == len(media_files(led)) == 2
    create_user(engine=engine, username="root", role="admin", password="long-enough-pw")
    with session_scope(engine) as session:
        root = get_user(session=session, username="root")
    archived = {k for k, _ in open_store(settings).keys()}
    decide(engine=engine, settings=settings, key=taken,
           decision=Decision("takedown", reason="author-request"), user=root)
    assert len({k for k, _ in open_store(settings).keys()}) == len(archived) / 2  # at once
    build_site(engine=engine, settings=settings)
    write_led(engine=engine, settings=settings)
    assert media_files(site) == media_files(led) and len(media_files(site)) == 1
    builds = site.parent / ".site.builds"
    assert {p.parent.name for p in builds.rglob("*") if p.is_file() and "/media/" in str(p)} \
        == media_files(site)  # nor in the build kept before the new one
    assert "Goes" not in "".join(p.read_text() for p in site.rglob("*.html"))
