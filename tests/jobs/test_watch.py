"""jobs/watch.py and jobs/inbox.py: the Douyin watch folder reads each finished file whole.

Files are written as a person's tools write them: in parts, replaced with
``os.replace``, appended to after a pause, linked from elsewhere, or broken.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

import cqfriends.jobs.watch as watch
from cqfriends.jobs.inbox import Snapshot, move_read_file, report_path, waiting_files
from cqfriends.jobs.status import status_report
from cqfriends.jobs.watch import import_watch_folder
from cqfriends.settings import Settings
from cqfriends.store.db import get_engine, session_scope
from cqfriends.store.models import CollectorRun, PostRow
from tests.conftest import make_settings

HEADER = "作品ID,作品描述,发布时间,账号昵称,点赞数量,评论数量,分享数量,播放量,作品链接"
ROW = ("74326000000000{n:05d},重庆夜景 #外国人在重庆 #chongqingfriends,"
       "2026-10-06 15:20:00,Leo看山城,12,3,1,900,https://www.douyin.com/video/74326000000000{n:05d}")
SETTLE = 0.3  # seconds; the default is 30

db_url_for_settings = pytest.fixture(lambda db_url: db_url)


def csv_text(rows: range | list[int], header: bool = True) -> str:
    lines = ([HEADER] if header else []) + [ROW.format(n=n) for n in rows]
    return "\n".join(lines) + "\n"


def with_settle(settings: Settings, seconds: float) -> Settings:
    douyin = settings.sources.douyin.model_copy(update={"settle_seconds": seconds})
    return settings.model_copy(update={"sources": settings.sources.model_copy(
        update={"douyin": douyin})})


@pytest.fixture
def inbox(tmp_path: Path, db_url: str) -> tuple[Settings, Path]:
    settings = with_settle(make_settings(tmp_path, db_url), 0)
    folder = Path(settings.sources.douyin.watch_folder)
    folder.mkdir(parents=True)
    return settings, folder


def run(settings: Settings, **kwargs):
    return import_watch_folder(engine=get_engine(settings.database.url), settings=settings,
                               **kwargs)


def stored(settings: Settings) -> list[str]:
    with session_scope(get_engine(settings.database.url)) as session:
        return sorted(session.scalars(sa.select(PostRow.source_id)))


def runs(settings: Settings) -> list[CollectorRun]:
    with session_scope(get_engine(settings.database.url)) as session:
        return list(session.scalars(sa.select(CollectorRun).order_by(CollectorRun.id)))


def names(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_clean_files_move_to_done_and_bad_rows_get_a_report_beside_them(inbox):
    settings, folder = inbox
    (folder / "good.csv").write_text(csv_text([1, 2]), encoding="utf-8")
    (folder / "bad.csv").write_text(csv_text([3]) + ",no id and no link,,,,,,,\n",
                                    encoding="utf-8")
    summary = run(settings)
    assert (summary.fetched, summary.new, summary.bad) == (4, 3, 1)
    assert names(folder) == ["done/bad.csv", "done/bad.csv.report.txt", "done/good.csv"]
    report = (folder / "done" / "bad.csv.report.txt").read_text(encoding="utf-8")
    assert "line 3" in report and "bad 1" in report and "Good rows are stored" in report
    [recorded] = runs(settings)
    assert (recorded.fetched, recorded.new, recorded.bad) == (4, 3, 1)
    assert recorded.finished_at and "bad.csv: 1 bad rows" in recorded.error
    assert "report: done/bad.csv.report.txt" in recorded.error

    (folder / "bad.csv").write_text(csv_text([3, 4]), encoding="utf-8")  # fixed, dropped again
    again = run(settings)
    assert (again.new, again.bad, again.error) == (1, 0, None)  # row 3 is not stored twice
    assert "done/bad-1.csv" in names(folder) and len(stored(settings)) == 4


def test_a_poison_file_goes_to_failed_and_never_blocks_the_good_one_behind_it(inbox):
    settings, folder = inbox
    poison = folder / "a-poison.ndjson"
    poison.write_bytes(b'{"aweme_id": [1, {"x": \xff\xfe}\n\x00\x00garbage\n')
    os.utime(poison, (time.time() - 60, time.time() - 60))  # older: read first
    (folder / "b-good.csv").write_text(csv_text([1, 2]), encoding="utf-8")
    summary = run(settings)
    assert summary.new == 2 and stored(settings) == ["7432600000000000001",
                                                     "7432600000000000002"]
    assert names(folder) == ["done/b-good.csv", "failed/a-poison.ndjson",
                             "failed/a-poison.ndjson.report.txt"]
    report = (folder / "failed" / "a-poison.ndjson.report.txt").read_text(encoding="utf-8")
    assert "Nothing in this file could be imported" in report and "a-poison.ndjson" in report
    [recorded] = runs(settings)
    assert recorded.finished_at and "a-poison.ndjson: nothing could be imported" in recorded.error
    report = status_report(engine=get_engine(settings.database.url), settings=settings)
    douyin = next(s for s in report["sources"] if s["source"] == "douyin")
    assert douyin["last_error"] and douyin["last_run"]["error"] == recorded.error
    assert any(p.startswith("douyin: the last run had errors") for p in report["problems"])


def test_a_reader_that_crashes_sends_its_file_to_failed_with_the_reason(inbox, monkeypatch):
    settings, folder = inbox
    (folder / "crash.csv").write_text(csv_text([1]), encoding="utf-8")
    (folder / "fine.csv").write_text(csv_text([2]), encoding="utf-8")
    real = watch.import_files

    def crashing(source, paths, **kwargs):
        if paths[0].name == "crash.csv":
            raise ValueError("not a time")  # a reader bug, not the file's fault alone
        return real(source, paths, **kwargs)

    monkeypatch.setattr(watch, "import_files", crashing)
    run(settings)
    assert names(folder) == ["done/fine.csv", "failed/crash.csv", "failed/crash.csv.report.txt"]
    assert "ValueError: not a time" in (folder / "failed/crash.csv.report.txt").read_text()
    assert runs(settings)[0].finished_at is not None


def test_a_half_written_csv_waits_until_it_settles_then_imports_whole(inbox):
    settings, folder = inbox
    settings = with_settle(settings, SETTLE)
    path = folder / "export.csv"
    with path.open("w", encoding="utf-8") as writer:
        writer.write(csv_text(range(1000)))
        writer.flush()
        assert run(settings).fetched == 0 and path.exists()  # still changing: not read
        time.sleep(SETTLE / 3)
        writer.write(csv_text(range(1000, 2000), header=False))
    assert run(settings).fetched == 0  # just written: still not read
    time.sleep(SETTLE + 0.1)
    summary = run(settings)
    assert (summary.fetched, summary.new) == (2000, 2000)
    assert names(folder) == ["done/export.csv"] and len(stored(settings)) == 2000


def test_the_mtime_of_a_copy_does_not_fool_the_settle_time(inbox):
    settings, folder = inbox
    settings = with_settle(settings, 30)
    path = folder / "copied.csv"
    path.write_text(csv_text([1]), encoding="utf-8")
    os.utime(path, (time.time() - 3600, time.time() - 3600))  # cp -p keeps the old mtime
    ready, settling = waiting_files(folder, settle_seconds=30)
    assert ready == [] and [s.path for s in settling] == [path]  # the ctime is fresh
    assert [s.path for s in waiting_files(folder, settle_seconds=30,
                                          now=time.time() + 31)[0]] == [path]


def after_each_read(monkeypatch, action) -> None:
    """``action()`` runs while the file is still in the watch job's hands, after its read."""
    real = watch.import_files

    def read_then_act(source, paths, **kwargs):
        summary = real(source, paths, **kwargs)
        action()
        return summary

    monkeypatch.setattr(watch, "import_files", read_then_act)


def test_rows_added_while_the_file_is_read_are_read_too(inbox, monkeypatch):
    settings, folder = inbox
    path = folder / "growing.csv"
    path.write_text(csv_text(range(10)), encoding="utf-8")

    def append() -> None:  # the writer goes on meanwhile
        with path.open("a", encoding="utf-8") as writer:
            writer.write(csv_text(range(10, 20), header=False))

    with monkeypatch.context() as patch:
        after_each_read(patch, append)
        assert run(settings).new == 10
        assert names(folder) == ["growing.csv"]  # changed while read: never moved unread
    again = run(settings)
    assert (again.new, again.fetched) == (10, 20) and len(stored(settings)) == 20
    assert names(folder) == ["done/growing.csv"]


def test_a_writer_that_paused_and_goes_on_gets_its_late_rows_read(inbox):
    settings, folder = inbox
    path = folder / "paused.csv"
    with path.open("w", encoding="utf-8") as writer:
        writer.write(csv_text(range(5)))
        writer.flush()
        assert run(settings).new == 5  # quiet long enough: read and moved to done/
        assert names(folder) == ["done/paused.csv"]
        writer.write(csv_text(range(5, 9), header=False))  # the same open file, now in done/
    again = run(settings)  # back from done/ and read again, whole
    assert (again.fetched, again.new) == (9, 4)
    assert names(folder) == ["done/paused.csv"] and len(stored(settings)) == 9


def test_a_file_replaced_during_its_import_is_read_again(inbox, monkeypatch):
    settings, folder = inbox
    path = folder / "daily.csv"
    path.write_text(csv_text(range(3)), encoding="utf-8")

    def replace() -> None:  # a tool saving a new version atomically
        fresh = folder / ".daily.csv.tmp"
        fresh.write_text(csv_text(range(6)), encoding="utf-8")
        os.replace(fresh, path)

    with monkeypatch.context() as patch:
        after_each_read(patch, replace)
        assert run(settings).new == 3
        assert names(folder) == ["daily.csv"]  # the new version is not moved unread
    assert run(settings).new == 3 and len(stored(settings)) == 6
    assert (folder / "done" / "daily.csv").read_text(encoding="utf-8") == csv_text(range(6))


def test_only_the_inode_that_was_read_is_moved(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("first")
    read = Snapshot.of(path)
    (tmp_path / "new").write_text("second")
    os.replace(tmp_path / "new", path)
    assert move_read_file(read, "done") is None  # the new file stays, to be read in turn
    assert path.read_text() == "second" and not list((tmp_path / "done").glob("*"))
    moved = move_read_file(Snapshot.of(path), "done")
    assert moved == tmp_path / "done" / "x.csv" and moved.read_text() == "second"


def test_symlinks_and_files_outside_the_folder_are_ignored(inbox, tmp_path):
    settings, folder = inbox
    outside = tmp_path / "private"
    outside.mkdir()
    (outside / "secret.csv").write_text(csv_text([7]), encoding="utf-8")
    (folder / "link.csv").symlink_to(outside / "secret.csv")
    (folder / "linked-dir").symlink_to(outside, target_is_directory=True)
    (folder / "sub").mkdir()
    (folder / "sub" / "real.csv").write_text(csv_text([8]), encoding="utf-8")
    summary = run(settings)
    assert summary.new == 1 and stored(settings) == ["7432600000000000008"]
    assert (folder / "link.csv").is_symlink() and (outside / "secret.csv").exists()
    assert names(outside) == ["secret.csv"]


def test_what_the_folder_scan_looks_at(tmp_path):
    for name in ["a.ndjson", "b.CSV", "c.xlsx", "d.json", "e.jsonl", "notes.txt", "~$c.xlsx",
                 ".hidden.csv", "done/old.csv", "failed/bad.csv", "sub/done/x.csv",
                 "sub/f.csv"]:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    (tmp_path / "empty.csv").write_text("")
    ready, settling = waiting_files(tmp_path, settle_seconds=0)
    assert sorted(str(s.path.relative_to(tmp_path)) for s in ready) == [
        "a.ndjson", "b.CSV", "c.xlsx", "d.json", "e.jsonl", "sub/f.csv"]
    assert settling == [] and waiting_files(tmp_path / "missing", settle_seconds=0) == ([], [])


def test_a_stop_request_leaves_the_file_in_hand_to_be_read_again(inbox, monkeypatch):
    settings, folder = inbox
    (folder / "big.csv").write_text(csv_text(range(1200)), encoding="utf-8")
    stop = threading.Event()
    real = watch.import_files

    def stopped_midway(source, paths, **kwargs):
        stop.set()  # SIGTERM arrives during the import
        return real(source, paths, **kwargs)

    monkeypatch.setattr(watch, "import_files", stopped_midway)
    summary = run(settings, stop=stop)
    assert summary.stopped and names(folder) == ["big.csv"]
    assert runs(settings)[0].finished_at is not None
    monkeypatch.setattr(watch, "import_files", real)
    assert run(settings).fetched == 1200 and len(stored(settings)) == 1200


def test_a_database_failure_ends_the_run_closed_and_leaves_the_file(inbox, monkeypatch):
    settings, folder = inbox
    (folder / "later.csv").write_text(csv_text([1]), encoding="utf-8")

    def database_down(*args, **kwargs):
        raise sa.exc.OperationalError("INSERT", {}, Exception("database or disk is full"))

    monkeypatch.setattr(watch, "import_files", database_down)
    with pytest.raises(sa.exc.OperationalError):
        run(settings)
    assert names(folder) == ["later.csv"]
    [recorded] = runs(settings)
    assert recorded.finished_at and "database or disk is full" in recorded.error


def test_report_path_sits_beside_the_file():
    assert report_path(Path("/in/done/a.csv")) == Path("/in/done/a.csv.report.txt")
