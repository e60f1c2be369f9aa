"""``cqf queue next`` / ``decide`` / ``audit`` / ``users`` as a script would run them."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cqfriends.cli import get_app
from cqfriends.store.users import create_user
from tests.factories import make_post
from tests.moderation.test_queue import add_pending
from tests.web.sessions import fast_passwords  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(db_url, monkeypatch):
    monkeypatch.setenv("CQF_DATABASE_URL", db_url)
    return {**os.environ, "CQF_DATABASE_URL": db_url}


@pytest.fixture
def team(engine):
    for name, role in (("li", "moderator"), ("anna", "moderator"), ("root", "admin")):
        create_user(engine=engine, username=name, role=role, password="long-enough")


def cqf(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(get_app(), list(args))
    assert result.exit_code == code, (result.output, result.exception)
    return result.stdout if code == 0 else result.output + str(result.exception)


def cqf_process(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The real `cqf` (through cli.main, which turns errors into one line and an exit code)."""
    return subprocess.run([sys.executable, "-c", "import cli; cli.main()", *args], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_queue_next_jsonl_has_keys_and_claims(env, engine, team):
    keys = add_pending(engine, [make_post() for _ in range(3)])
    lines = cqf("queue", "next", "--as", "li", "--n", "2", "--format", "jsonl").splitlines()
    rows = [json.loads(line) for line in lines]
    assert [r["key"] for r in rows] == keys[:2] and all(r["version"] == 1 for r in rows)
    rest = cqf("queue", "next", "--as", "anna", "--format", "jsonl").splitlines()
    assert [json.loads(line)["key"] for line in rest] == keys[2:]


def test_concurrent_queue_next_are_disjoint(env, engine, team):
    add_pending(engine, [make_post() for _ in range(12)])
    with ThreadPoolExecutor(3) as pool:
        runs = list(pool.map(lambda who: cqf_process(
            env, "queue", "next", "--as", who, "--n", "5", "--format", "jsonl"),
            ["li", "anna", "root"]))
    assert all(r.returncode == 0 for r in runs), [r.stderr for r in runs]
    claimed = [json.loads(line)["key"] for r in runs for line in r.stdout.splitlines()]
    assert len(claimed) == 12 and len(set(claimed)) == 12


def test_decide_approve_reject_and_audit_csv(env, engine, team):
    keys = add_pending(engine, [make_post() for _ in range(2)])
    out = cqf("decide", keys[0], "approve", "--section", "mobile", "--feature", "--as", "li")
    assert "approved in mobile (featured)" in out
    cqf("decide", keys[1], "reject", "--reason", "spam", "--note", "ad", "--as", "anna")
    rows = list(csv.DictReader(io.StringIO(cqf("audit", "--format", "csv"))))
    assert [(r["actor"], r["action"], r["post_key"], r["note"]) for r in rows] == [
        ("anna", "reject", keys[1], "ad"), ("li", "approve", keys[0], "")]
    assert "takedown" not in cqf("audit")


def test_conflicts_exit_1_with_a_clear_message(env, engine, team):
    (key,) = add_pending(engine, [make_post()])
    cqf("queue", "next", "--as", "li")
    run = cqf_process(env, "decide", key, "approve", "--section", "mobile", "--as", "anna")
    assert run.returncode == 1 and "claimed by li" in run.stderr
    assert "only admins" in cqf("decide", key, "approve", "--section", "mobile", "--as", "anna",
                                "--override", code=1)
    cqf("decide", key, "reject", "--reason", "spam", "--as", "root", "--override")
    assert "rejected by root" in cqf("decide", key, "approve", "--section", "mobile",
                                     "--as", "li", code=1)


def test_takedown_by_admin_only(env, engine, team):
    (key,) = add_pending(engine, [make_post()])
    cqf("decide", key, "approve", "--section", "mobile", "--as", "li")
    cqf("decide", key, "takedown", "--reason", "author-request", "--as", "li", code=1)
    assert "removed" in cqf("decide", key, "takedown", "--reason", "author-request",
                            "--as", "root")


def test_users_add_list_passwd(env, monkeypatch):
    monkeypatch.setenv("NEW_PW", "very-secret-1")
    cqf("users", "add", "wang", "--role", "manager", "--password-env", "NEW_PW")
    assert "wang\tmanager" in cqf("users", "list")
    monkeypatch.setenv("NEW_PW", "very-secret-2")
    cqf("users", "passwd", "wang", "--password-env", "NEW_PW")
    result = CliRunner().invoke(get_app(), ["users", "add", "zhao", "--role", "moderator"],
                                input="typed-secret\ntyped-secret\n")
    assert result.exit_code == 0 and "added zhao" in result.stdout
    assert "very-secret" not in cqf("users", "list")


def test_users_add_unknown_role_fails_before_prompt(env):
    run = cqf_process(env, "users", "add", "eve", "--role", "boss")
    assert run.returncode == 2 and "role 'boss'" in run.stderr


LONG = make_post(source="facebook", source_id="104900000000001_1230000000000006",
                 text="Evil \x1b[2J\x1b]0;pwned\x07caption \u202eesrever #ChongqingFriends",
                 author=make_post().author.__class__(id="9", name="Bad\x1b[31mName", handle=""))


def test_tables_print_keys_whole_and_escape_control_characters(env, engine, team):
    keys = add_pending(engine, [LONG, make_post(source="douyin", source_id="7432600000000000901",
                                                 text="第一次 \x9b6n")])
    for out in (cqf("queue", "next", "--as", "li"), cqf("posts")):
        assert all(k in out for k in keys), out  # at 80 columns, keys are never cut
        assert "\x1b" not in out and "\x9b" not in out and "\u202e" not in out and "\x07" not in out
        assert "\\x1b" in out
    line = cqf("posts", "--format", "jsonl").splitlines()[0]
    assert "\x1b" not in line and "\u202e" not in line and json.loads(line)["text"] == LONG.text


def test_audit_times_are_in_the_campaign_zone(env, engine, team):
    (key,) = add_pending(engine, [make_post()])
    cqf("decide", key, "approve", "--section", "mobile", "--as", "li")
    out = cqf("audit")
    assert "Asia/Shanghai" in out and key in out


def test_decide_resection_requeue_and_reverse_from_a_shell(env, engine, team):
    (key,) = add_pending(engine, [make_post()])
    cqf("decide", key, "approve", "--section", "mobile", "--as", "li")
    assert "in professional" in cqf("decide", key, "resection", "--section", "professional",
                                    "--as", "anna")
    assert "pending" in cqf("decide", key, "requeue", "--as", "li")
    cqf("decide", key, "reject", "--reason", "spam", "--as", "li")
    out = cqf("decide", key, "approve", "--reverse", "--version", "5", "--section", "mobile",
              "--as", "anna")
    assert "approved in mobile" in out
