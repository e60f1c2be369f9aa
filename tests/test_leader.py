"""store/leader.py and `cqf run` leadership: one scheduler per database."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from cqfriends.store.db import get_engine, session_scope
from cqfriends.store.leader import Leadership, beat, is_fresh, read_beat
from cqfriends.store.models import utcnow
from tests.conftest import ROOT
from tests.processes import CQF, free_port, wait_for


def test_one_leader_per_sqlite_file(sqlite_url):
    engine = get_engine(sqlite_url)
    first, second = Leadership(engine), Leadership(engine)
    assert first.try_acquire() and first.alive()
    assert not second.try_acquire()
    first.release()
    assert second.try_acquire()
    second.release()


def test_the_heartbeat_goes_stale(db_url):
    engine = get_engine(db_url)
    with session_scope(engine) as session:
        assert read_beat(session=session) is None
        beat(session=session, holder="host:1", started_at=utcnow())
    with session_scope(engine) as session:
        row = read_beat(session=session)
    assert row.holder == "host:1" and is_fresh(row)
    assert not is_fresh(row, now=row.beat_at + timedelta(minutes=2))


def start_run(tmp_path: Path, url: str, name: str) -> tuple[subprocess.Popen, int]:
    config = tmp_path / "config.yaml"
    if not config.exists():  # a short heartbeat: failover in about a second
        config.write_text((ROOT / "config.yaml").read_text(encoding="utf-8").replace(
            "heartbeat_seconds: 10", "heartbeat_seconds: 0.5"), encoding="utf-8")
    port = free_port()
    env = {**os.environ, "CQF_DATABASE_URL": url, "CQF_CONFIG": str(config)}
    proc = subprocess.Popen([CQF, "run", "--port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=open(tmp_path / f"{name}.log", "ab"), text=True)
    return proc, port


def holder(url: str) -> str | None:
    with get_engine(url).connect() as conn:
        return conn.execute(sa.text(
            "SELECT holder FROM scheduler_heartbeat WHERE name = 'scheduler'")).scalar()


def healthz(port: int) -> dict:
    """The public /healthz: ``ok`` is whether the scheduler runs (no source is enabled)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:  # 503 still carries the report
        return json.load(e)
    except urllib.error.URLError:  # not listening yet
        return {"ok": None}


def stop(*procs: subprocess.Popen) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_second_scheduler_on_the_same_sqlite_file_refuses(tmp_path, sqlite_url):
    first, port = start_run(tmp_path, sqlite_url, "first")
    try:
        wait_for(lambda: holder(sqlite_url) is not None, 30)
        second, _ = start_run(tmp_path, sqlite_url, "second")
        assert second.wait(timeout=30) != 0
        message = (tmp_path / "second.log").read_text()
        assert "a scheduler is already running on" in message and "PostgreSQL" in message
        assert healthz(port)["ok"] is True  # the first one is unharmed
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=10) == 0
        assert holder(sqlite_url) is None  # a clean stop says so at once
    finally:
        stop(first)


@pytest.mark.postgres
def test_two_runs_on_postgresql_elect_one_leader_and_fail_over(tmp_path, pg_database):
    url = pg_database
    with get_engine(url).begin() as conn:
        conn.exec_driver_sql("DELETE FROM scheduler_heartbeat")
    a, port_a = start_run(tmp_path, url, "a")
    b = None
    try:
        wait_for(lambda: holder(url) == f"{socket.gethostname()}:{a.pid}", 30)
        b, port_b = start_run(tmp_path, url, "b")
        wait_for(lambda: healthz(port_b)["ok"], 30)  # b serves the web app
        assert b.poll() is None and holder(url).endswith(f":{a.pid}")  # ... as a standby
        a.kill()  # the leader dies without a word
        killed = time.monotonic()
        wait_for(lambda: holder(url) == f"{socket.gethostname()}:{b.pid}", 45)
        assert time.monotonic() - killed < 60
        b.send_signal(signal.SIGTERM)
        assert b.wait(timeout=10) == 0
    finally:
        stop(a, *([b] if b else []))
