"""The main job survives faults: kill -9, SIGTERM, a killed lock connection, a locked database.

Real ``cqf`` processes, with a short heartbeat (``scheduler.heartbeat_seconds``)
and no settle time, so each fault takes seconds, not minutes.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from sqlmodel import SQLModel

from cqfriends.jobs.runs import recorded_run, sweep_runs
from cqfriends.moderation.checks.runner import run_checks
from cqfriends.store.db import get_engine, session_scope
from cqfriends.store.leader import Leadership, beat, process_beat_name
from cqfriends.store.models import CollectorRun, PostRow, SchedulerHeartbeat, utcnow
from cqfriends.store.posts import upsert_posts
from tests.conftest import ROOT, make_settings
from tests.factories import make_post
from tests.processes import CQF, free_port, wait_for

HEARTBEAT = 0.5
HEADER = "作品ID,作品描述,发布时间,账号昵称,点赞数量,评论数量,分享数量,播放量,作品链接"
ROW = ("7{prefix:03d}{n:015d},重庆夜景 {n} #外国人在重庆 #chongqingfriends,"
       "2026-10-06 15:20:00,Leo看山城,12,3,1,900,https://www.douyin.com/video/7{prefix:03d}{n:015d}")


def write_export(path: Path, rows: int, prefix: int = 1) -> Path:
    """A Douyin CSV export of ``rows`` distinct posts, written whole (via a hidden name)."""
    part = path.with_name("." + path.name + ".part")
    lines = [HEADER] + [ROW.format(prefix=prefix, n=n) for n in range(rows)]
    part.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(part, path)
    return path


def fault_config(tmp_path: Path, *, watch_minutes: float = 0.02) -> Path:
    """config.yaml for a quick-moving main job in ``tmp_path``."""
    data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data["sources"]["douyin"].update(settle_seconds=0, watch_folder=str(tmp_path / "inbox"),
                                     schedule={"minutes": watch_minutes, "jitter_seconds": 0})
    data["scheduler"]["heartbeat_seconds"] = HEARTBEAT
    data["export"].update(site_dir=str(tmp_path / "site"), led_dir=str(tmp_path / "led"))
    (tmp_path / "inbox").mkdir(exist_ok=True)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def start(tmp_path: Path, url: str, name: str, *args: str, command: str = "run"
          ) -> subprocess.Popen:
    env = {**os.environ, "CQF_DATABASE_URL": url, "CQF_CONFIG": str(tmp_path / "config.yaml"),
           "CQF_LOG_LEVEL": "INFO"}
    extra = ["--port", str(free_port())] if command == "run" else []
    return subprocess.Popen([CQF, command, *args, *extra], cwd=tmp_path, env=env,
                            stdout=subprocess.DEVNULL,
                            stderr=open(tmp_path / f"{name}.log", "ab"))  # noqa: SIM115


def scalar(url: str, sql: str) -> object:
    with get_engine(url).connect() as conn:
        return conn.execute(sa.text(sql)).scalar()


def count(url: str, where: str = "1=1") -> int:
    return int(scalar(url, f"SELECT count(*) FROM post WHERE {where}") or 0)


def kill(*procs: subprocess.Popen) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def stop_within(proc: subprocess.Popen, seconds: float = 10) -> float:
    sent = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=seconds + 5) == 0
    took = time.monotonic() - sent
    assert took < seconds, f"took {took:.1f}s to stop"
    return took


def no_traceback(*logs: Path) -> None:
    for log in logs:
        text = log.read_text(encoding="utf-8", errors="replace")
        assert "Traceback" not in text, text[-3000:]


# --- nothing stranded before the queue ----------------------------------------------------

SLOW_CHECKS = textwrap.dedent('''
    import sys, time
    from cqfriends.moderation.checks import batch
    real = batch.Checker.check_batch
    def slow(self, session, posts):
        time.sleep(0.3)  # long enough to be killed in the middle
        return real(self, session, posts)
    batch.Checker.check_batch = slow
    import cqfriends.moderation.checks.runner as runner
    runner.run_checks.__kwdefaults__["batch_size"] = 100
    from cqfriends.cli import main
    sys.argv = ["cqf", *sys.argv[1:]]
    main()
''')


def test_kill_9_during_the_checks_then_a_rerun_leaves_nothing_collected(tmp_path, db_url):
    fault_config(tmp_path)
    export = write_export(tmp_path / "topic.csv", 1000)
    script = tmp_path / "slow_checks.py"
    script.write_text(SLOW_CHECKS, encoding="utf-8")
    env = {**os.environ, "CQF_DATABASE_URL": db_url, "CQF_CONFIG": str(tmp_path / "config.yaml")}
    proc = subprocess.Popen([sys.executable, str(script), "import", "douyin", str(export)],
                            cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: count(db_url, "checked_at IS NOT NULL") > 0, 60, proc)
        proc.kill()
        proc.wait()
    finally:
        kill(proc)
    assert 0 < count(db_url, "status = 'collected'") < 1000  # really cut short
    again = subprocess.run([CQF, "import", "douyin", str(export)], env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert "new 0" in again.stdout  # nothing new ...
    assert count(db_url, "status = 'collected'") == 0  # ... and yet every post is checked
    assert count(db_url) == 1000


def test_the_scheduler_checks_leftovers_at_start_up_and_status_reports_them(tmp_path,
                                                                            sqlite_url):
    fault_config(tmp_path)
    long_ago = utcnow() - timedelta(hours=1)
    with session_scope(get_engine(sqlite_url)) as session:
        upsert_posts(session=session, posts=[make_post(collected_at=long_ago) for _ in range(5)])
    env = {**os.environ, "CQF_DATABASE_URL": sqlite_url,
           "CQF_CONFIG": str(tmp_path / "config.yaml")}
    status = subprocess.run([CQF, "status"], env=env, capture_output=True, text=True,
                            timeout=60)
    assert "5 posts collected more than 10 minutes ago are still unchecked" in status.stdout
    proc = start(tmp_path, sqlite_url, "run")
    try:
        wait_for(lambda: count(sqlite_url, "status = 'collected'") == 0, 60, proc)
        stop_within(proc)
    finally:
        kill(proc)
    no_traceback(tmp_path / "run.log")


def test_heartbeats_and_a_long_check_never_fail_each_other_on_sqlite(tmp_path, sqlite_url,
                                                                      monkeypatch):
    from cqfriends.moderation.checks import batch

    settings = make_settings(tmp_path, sqlite_url)
    engine = get_engine(sqlite_url)
    with session_scope(engine) as session:
        upsert_posts(session=session, posts=[make_post() for _ in range(300)])
    real = batch.Checker.check_batch

    def slow(self, session, posts):  # a long batch: heartbeats are due meanwhile
        time.sleep(0.3)
        return real(self, session, posts)

    monkeypatch.setattr(batch.Checker, "check_batch", slow)
    failures: list[Exception] = []
    beats = 0
    done = threading.Event()

    def heartbeat() -> None:
        nonlocal beats
        while not done.is_set():
            try:
                with session_scope(engine, write=True) as session:
                    beat(session=session, holder="here:1", started_at=utcnow())
                beats += 1
            except Exception as e:  # noqa: BLE001 - what the test counts
                failures.append(e)
            time.sleep(0.02)

    beater = threading.Thread(target=heartbeat)
    beater.start()
    try:
        summary = run_checks(engine=engine, settings=settings, batch_size=100)
    finally:
        done.set()
        beater.join()
    assert summary.checked == 300 and failures == [] and beats >= 3


# --- SIGTERM ---------------------------------------------------------------------------------

def test_sigterm_during_a_long_import_exits_within_10_s(tmp_path, db_url):
    fault_config(tmp_path)
    write_export(tmp_path / "inbox" / "big.csv", 30_000)
    proc = start(tmp_path, db_url, "run")
    try:
        wait_for(lambda: count(db_url) > 0, 60, proc)  # the import is under way
        stop_within(proc)
    finally:
        kill(proc)
    assert count(db_url) < 30_000  # stopped mid-file ...
    assert (tmp_path / "inbox" / "big.csv").exists()  # ... so the file waits to be read again
    assert scalar(db_url, "SELECT count(*) FROM collector_run WHERE finished_at IS NULL") == 0
    no_traceback(tmp_path / "run.log")


def test_sigterm_while_another_process_holds_the_sqlite_write_lock(tmp_path, sqlite_url):
    fault_config(tmp_path)
    proc = start(tmp_path, sqlite_url, "run")
    blocker = None
    try:
        wait_for(lambda: scalar(sqlite_url, "SELECT count(*) FROM scheduler_heartbeat"), 60, proc)
        write_export(tmp_path / "inbox" / "waiting.csv", 10)
        blocker = get_engine(sqlite_url).raw_connection()
        blocker.cursor().execute("BEGIN IMMEDIATE")  # every write of cqf run now waits 30 s
        time.sleep(4)  # the watch job is stuck on the lock
        stop_within(proc)
    finally:
        if blocker is not None:
            blocker.rollback()
            blocker.close()
        kill(proc)


# --- leadership ------------------------------------------------------------------------------

def holder_pid(url: str) -> int | None:
    holder = scalar(url, "SELECT holder FROM scheduler_heartbeat WHERE name = 'scheduler'")
    return int(str(holder).rpartition(":")[2]) if holder else None


def overlapping_runs(url: str) -> list[tuple[object, ...]]:
    """Pairs of runs of different processes that ran at the same time."""
    with get_engine(url).connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT id, pid, started_at, finished_at FROM collector_run")).all()
    return [(a.id, b.id) for a in rows for b in rows if a.id < b.id and a.pid != b.pid
            and a.started_at < (b.finished_at or a.started_at)
            and b.started_at < (a.finished_at or b.started_at)]


@pytest.mark.postgres
def test_killing_the_leaders_lock_connection_leaves_one_process_running_jobs(tmp_path,
                                                                             pg_database):
    url = pg_database
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with get_engine(url).begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    fault_config(tmp_path)
    a = start(tmp_path, url, "a")
    b = None
    try:
        wait_for(lambda: holder_pid(url) == a.pid, 60, a)
        b = start(tmp_path, url, "b")
        for n in range(6):  # files keep arriving while the lock is lost
            write_export(tmp_path / "inbox" / f"f{n}.csv", 400, prefix=n)
            if n == 2:
                wait_for(lambda: scalar(url, "SELECT count(*) FROM collector_run"), 30, a)
                scalar(url, "SELECT pg_terminate_backend(pid) FROM pg_locks "
                            "WHERE locktype = 'advisory' AND objid = 1668376065")
            time.sleep(0.7)
        wait_for(lambda: not list((tmp_path / "inbox").glob("*.csv")), 60)
        wait_for(lambda: count(url, "status = 'collected'") == 0, 60)
        assert a.poll() is None and b.poll() is None  # both alive: one leads, one stands by
        assert holder_pid(url) in (a.pid, b.pid)
        stop_within(a)
        stop_within(b)
    finally:
        kill(a, *([b] if b else []))
    assert count(url) == 6 * 400
    assert scalar(url, "SELECT count(*) FROM collector_run WHERE finished_at IS NULL") == 0
    assert overlapping_runs(url) == []
    assert len(list((tmp_path / "inbox" / "done").glob("*.csv"))) == 6
    no_traceback(tmp_path / "a.log", tmp_path / "b.log")
    assert "cannot prove this process still holds the scheduler lock" in (
        tmp_path / "a.log").read_text()


def test_a_symlinked_sqlite_path_is_refused_as_a_second_scheduler(tmp_path, sqlite_url):
    fault_config(tmp_path)
    real = Path(sa.engine.make_url(sqlite_url).database)
    alias = tmp_path / "alias.db"
    alias.symlink_to(real)
    first = start(tmp_path, sqlite_url, "first")
    try:
        wait_for(lambda: holder_pid(sqlite_url) == first.pid, 60, first)
        second = start(tmp_path, f"sqlite:///{alias}", "second")
        assert second.wait(timeout=60) != 0
        assert "a scheduler is already running on" in (tmp_path / "second.log").read_text()
        assert first.poll() is None
        stop_within(first)
    finally:
        kill(first)


def test_the_sqlite_lock_follows_the_real_file(tmp_path, sqlite_url):
    real = Path(sa.engine.make_url(sqlite_url).database)
    (tmp_path / "alias.db").symlink_to(real)
    first = Leadership(get_engine(sqlite_url))
    second = Leadership(get_engine(f"sqlite:///{tmp_path / 'alias.db'}"))
    assert first.try_acquire() and not second.try_acquire()
    lock = Path(str(real) + ".scheduler.lock")
    lock.unlink()  # someone deletes the lock file: the first can no longer prove it leads
    assert not first.holds() and not first.held
    assert second.try_acquire() and second.holds()
    second.release()


@pytest.mark.postgres
def test_a_dead_lock_connection_is_not_proof_and_raises_nothing(pg_database):
    leadership = Leadership(get_engine(pg_database))
    assert leadership.try_acquire() and leadership.holds()
    scalar(pg_database, "SELECT pg_terminate_backend(pid) FROM pg_locks "
                        "WHERE locktype = 'advisory' AND objid = 1668376065")
    assert leadership.holds() is False and not leadership.held
    leadership.release()  # twice over: still nothing raised
    again = Leadership(get_engine(pg_database))
    assert again.try_acquire()
    again.release()


def test_runs_are_closed_only_when_their_process_is_gone(db_url):
    engine = get_engine(db_url)
    host = socket.gethostname()
    dead = subprocess.Popen(["true"])
    dead.wait()
    with session_scope(engine) as session:
        session.add_all([
            CollectorRun(source="a", started_at=utcnow(), host=host, pid=os.getppid()),  # alive
            CollectorRun(source="b", started_at=utcnow(), host=host, pid=dead.pid),
            CollectorRun(source="c", started_at=utcnow(), host="elsewhere", pid=7),
            CollectorRun(source="d", started_at=utcnow(), host="elsewhere", pid=8),
            CollectorRun(source="e", started_at=utcnow(), host=host, pid=os.getpid()),
            CollectorRun(source="f", started_at=utcnow())])  # from before runs had a host
        beat(session=session, holder="elsewhere:7", started_at=utcnow(),
             name=process_beat_name("elsewhere:7"))
        beat(session=session, holder="elsewhere:8", started_at=utcnow(),
             name=process_beat_name("elsewhere:8"))
        session.flush()  # elsewhere:8 stopped beating long ago
        session.get(SchedulerHeartbeat, process_beat_name("elsewhere:8")).beat_at = (
            utcnow() - timedelta(hours=1))
        beat(session=session, holder="gone:9", started_at=utcnow(),
             name=process_beat_name("gone:9"))
        session.flush()
        session.get(SchedulerHeartbeat, process_beat_name("gone:9")).beat_at = (
            utcnow() - timedelta(days=2))
    with recorded_run(engine, "g") as run:  # a run this process is in right now
        assert sweep_runs(engine=engine, stale_after=timedelta(seconds=30)) == 4
        with session_scope(engine) as session:
            still_open = sorted(r.source for r in session.scalars(
                sa.select(CollectorRun).where(CollectorRun.finished_at.is_(None))))
        run.finish(engine=engine, fetched=1, new=1, updated=0, bad=0)
    assert still_open == ["a", "c", "g"]
    with session_scope(engine) as session:
        errors = {r.source: r.error for r in session.scalars(sa.select(CollectorRun))}
    assert errors["b"].startswith("interrupted") and errors["d"].startswith("interrupted")
    assert errors["e"].startswith("failed: its job ended without closing it")
    assert errors["g"] is None
    with session_scope(engine) as session:  # rows of processes gone for days are dropped
        assert session.get(SchedulerHeartbeat, process_beat_name("gone:9")) is None
        assert session.get(SchedulerHeartbeat, process_beat_name("elsewhere:8")) is not None


def test_a_run_whose_job_fails_is_closed_with_the_error(db_url):
    engine = get_engine(db_url)
    with pytest.raises(ZeroDivisionError), recorded_run(engine, "boom"):
        raise ZeroDivisionError("division by zero")
    with session_scope(engine) as session:
        [run] = session.scalars(sa.select(CollectorRun)).all()
    assert run.finished_at is not None and run.error == "failed: division by zero"
    assert run.host == socket.gethostname() and run.pid == os.getpid()


def test_posts_left_unchecked_long_ago_are_a_problem(tmp_path, db_url):
    from cqfriends.jobs.status import status_report

    settings = make_settings(tmp_path, db_url)
    engine = get_engine(db_url)
    with session_scope(engine) as session:
        upsert_posts(session=session, posts=[make_post(collected_at=utcnow()),
                                             make_post(collected_at=utcnow() - timedelta(hours=2))])
    report = status_report(engine=engine, settings=settings)
    assert report["queue"]["unchecked"] == 2 and report["queue"]["unchecked_stale"] == 1
    assert any("1 posts collected more than 10 minutes ago" in p for p in report["problems"])
    with session_scope(engine) as session:
        assert session.execute(sa.select(sa.func.count()).select_from(PostRow)).scalar() == 2
