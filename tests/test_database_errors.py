"""A database that cannot be used: one line naming it and the cause, never a traceback.

Read-only files and folders and a full disk are made with a private mount namespace
(``unshare``): a read-only bind mount and a 2 MB tmpfs, which even root cannot write
past.  Where ``unshare`` is not allowed those cases are skipped.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from cqfriends.store.db import describe_database_error, get_engine, safe_url
from tests.conftest import ROOT
from tests.processes import CQF, free_port
from tests.web.sessions import fast_passwords, make_client  # noqa: F401

SAMPLES = ROOT / "collectors" / "samples"
DATABASE_EXIT = 3


def can_unshare() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True)
    return probe.returncode == 0


needs_namespace = pytest.mark.skipif(not can_unshare(),
                                     reason="unshare (user + mount namespace) not allowed here")


def cqf(*args: str, url: str, cwd: Path, mount: str = "") -> subprocess.CompletedProcess:
    """Run ``cqf ARGS``; with ``mount``, after those mount commands in a namespace of its own."""
    env = {**os.environ, "CQF_DATABASE_URL": url, "CQF_ADMIN_PASSWORD": "not-printed-1"}
    command = [CQF, *args]
    if mount:
        command = ["unshare", "-rm", "sh", "-c",
                   f"{mount} && exec {' '.join(shlex.quote(a) for a in command)}"]
    return subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


def one_error_line(result: subprocess.CompletedProcess, *expected: str) -> str:
    assert result.returncode == DATABASE_EXIT, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


def read_only(path: Path) -> str:
    return f"mount --bind {path} {path} && mount -o remount,ro,bind {path}"


@pytest.fixture
def filled(tmp_path: Path) -> tuple[Path, str]:
    """A folder with a database holding the Douyin samples, closed cleanly."""
    folder = tmp_path / "data"
    folder.mkdir()
    url = f"sqlite:///{folder / 'cqf.db'}"
    done = cqf("import", "douyin", str(SAMPLES / "douyin-export.csv"), url=url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return folder, url


@needs_namespace
@pytest.mark.parametrize("what", ["folder", "file"])
def test_a_read_only_database_reads_but_refuses_writes_in_one_line(filled, tmp_path, what):
    folder, url = filled
    target = folder if what == "folder" else folder / "cqf.db"
    listed = cqf("posts", "--format", "jsonl", url=url, cwd=tmp_path, mount=read_only(target))
    assert listed.returncode == 0, listed.stderr
    assert len(listed.stdout.splitlines()) >= 3 and "Traceback" not in listed.stderr
    status = cqf("status", "--format", "json", url=url, cwd=tmp_path, mount=read_only(target))
    assert status.returncode == 0, status.stderr
    written = cqf("import", "douyin", str(SAMPLES / "douyin-topic.ndjson"), url=url, cwd=tmp_path,
                  mount=read_only(target))
    one_error_line(written, f"database sqlite:///{folder / 'cqf.db'}", "read-only",
                   "make both writable")


@needs_namespace
def test_a_full_disk_is_one_line(tmp_path):
    disk = tmp_path / "small"
    disk.mkdir()
    export = tmp_path / "big.csv"
    header = "作品ID,作品描述,发布时间,账号昵称,点赞数量"
    rows = [f"74{n:017d},{'山城步道 ' * 20}{n} #chongqingfriends,2026-10-06 15:20:00,Leo{n},12"
            for n in range(8000)]
    export.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    url = f"sqlite:///{disk / 'cqf.db'}"
    result = cqf("import", "douyin", str(export), url=url, cwd=tmp_path,
                 mount=f"mount -t tmpfs -o size=2m tmpfs {disk}")
    one_error_line(result, f"database {url}", "disk is full")


def test_an_unreachable_server_is_one_line_without_the_password(tmp_path):
    url = f"postgresql+psycopg://cqf:s3cret-pw@127.0.0.1:{free_port()}/cqf"
    for args in (["posts"], ["status"], ["import", "douyin", str(SAMPLES / "douyin-export.csv")]):
        result = cqf(*args, url=url, cwd=tmp_path)
        line = one_error_line(result, "postgresql+psycopg://cqf:***@127.0.0.1", "unreachable")
        assert "s3cret-pw" not in result.stderr + result.stdout, line


def test_a_file_that_is_not_a_database(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 200)
    one_error_line(cqf("posts", url=f"sqlite:///{path}", cwd=tmp_path),
                   "not an SQLite database")


@pytest.mark.parametrize(("message", "cause"), [
    ("attempt to write a readonly database", "read-only"),
    ("database or disk is full", "disk is full"),
    ('connection failed: connection to server at "10.0.0.9", port 5432 failed: '
     "Connection refused", "unreachable"),
    ("connection failed: timeout expired", "did not answer in time"),
    ('FATAL:  password authentication failed for user "cqf"', "user or password"),
    ('connection failed: connection to server at "h", port 5432 failed: FATAL:  database "x" '
     "does not exist", "no such database"),
    ("something nobody foresaw", "something nobody foresaw"),
])
def test_the_likely_cause_is_named(message, cause):
    error = sa.exc.OperationalError("SELECT 1", {}, Exception(message))
    line = describe_database_error(error, "postgresql://cqf:pw@db.example/cqf")
    assert line.startswith("database postgresql+psycopg://cqf:***@db.example/cqf: ")
    assert cause in line and "\n" not in line and "pw@" not in line
    assert safe_url("postgresql://u:secret@h/d") == "postgresql+psycopg://u:***@h/d"


def test_the_web_app_answers_503_with_a_clear_page(tmp_path):
    from cqfriends.settings import Database
    from tests.conftest import make_settings
    from tests.web.sessions import csrf_of

    url = f"postgresql+psycopg://cqf:pw@127.0.0.1:{free_port()}/cqf"
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'x.db'}").model_copy(
        update={"database": Database(url=url)})
    client = make_client(settings)
    token = csrf_of(client)  # the login page itself needs no database
    answer = client.post("/login", data={"username": "a", "password": "b",
                                         "csrf_token": token}, headers={"accept": "text/html"})
    assert answer.status_code == 503 and answer.headers["retry-after"] == "60"
    assert "The database is not available right now" in answer.text
    assert "数据库暂时无法使用" in answer.text and "127.0.0.1" not in answer.text
    api = client.get("/healthz")
    assert api.status_code == 503 and api.json()["error"] == "DatabaseUnavailable"
    get_engine(url).dispose()


@pytest.mark.browser
def test_logging_in_while_the_database_is_down_shows_the_503_page(tmp_path, page):  # noqa: F811
    from cqfriends.settings import Database
    from cqfriends.web.app import create_app
    from tests.conftest import make_settings
    from tests.web.browser import serve_in_thread

    url = f"postgresql+psycopg://cqf:pw@127.0.0.1:{free_port()}/cqf"
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'x.db'}").model_copy(
        update={"database": Database(url=url)})
    with serve_in_thread(create_app(settings)) as server:
        page.goto(server + "/login")
        page.fill("input[name=username]", "li")
        page.fill("input[name=password]", "whatever-1")
        page.click("form[action=\"/login\"] button[type=submit]")
        page.wait_for_selector("h1:text('503')")
        assert page.get_by_text("The database is not available right now").is_visible()
        assert page.get_by_text("数据库暂时无法使用").is_visible()
        if os.environ.get("CQF_SCREENSHOTS"):
            page.screenshot(path=os.environ["CQF_SCREENSHOTS"] + "/database-down.png",
                            full_page=True)
    get_engine(url).dispose()
