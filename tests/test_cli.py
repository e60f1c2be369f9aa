"""``cqf import`` and ``cqf posts``: the contract other programs rely on."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cqfriends.cli import get_app

SAMPLES = Path(__file__).resolve().parent.parent / "collectors" / "samples"
POST_KEYS = {"key", "source", "source_id", "url", "author_name", "author_handle", "text", "lang",
             "hashtags", "media", "created_at", "metrics", "is_repost", "repost_of", "status",
             "duplicate_of", "flags"}


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("CQF_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(get_app(), list(args), catch_exceptions=False)
    return invoke


def summary_line(output: str) -> str:
    return [line for line in output.splitlines() if line.startswith("read ")][-1]


def test_import_every_sample_then_reimport_changes_nothing(run):
    for source, files in [("twitter", ["twitter-search.jsonl"]),
                          ("facebook", ["facebook-feed.json", "instagram-hashtag.json"]),
                          ("douyin", ["douyin-topic.ndjson", "douyin-export.csv"])]:
        paths = [str(SAMPLES / f) for f in files]
        first = run("import", source, *paths)
        assert first.exit_code == 0, first.output
        assert ", bad 0" in summary_line(first.output)
        again = run("import", source, *paths)
        assert again.exit_code == 0
        assert "new 0, updated 0," in summary_line(again.output)
    listed = run("posts", "--format", "jsonl")
    posts = [json.loads(line) for line in listed.output.splitlines()]
    assert {p["source"] for p in posts} == {"twitter", "facebook", "instagram", "douyin"}
    assert all(POST_KEYS <= p.keys() for p in posts)
    assert len({p["key"] for p in posts}) == len(posts)
    assert {p["status"] for p in posts} <= {"pending", "duplicate"}  # checked on import
    assert any(p["flags"] for p in posts)
    assert all(p["key"] == f"{p['source']}:{p['source_id']}" for p in posts)
    assert any(p["is_repost"] and p["repost_of"].startswith("twitter:") for p in posts)
    videos = [m for p in posts for m in p["media"] if m["type"] == "video"]
    assert videos and all(m["url"].startswith("https://") for m in videos)


def test_some_bad_rows_exit_1_and_keep_the_good_ones(run, tmp_path):
    good = (SAMPLES / "twitter-search.jsonl").read_text(encoding="utf-8").splitlines()[0]
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text(good + "\n{not json\n", encoding="utf-8")
    result = run("import", "twitter", str(mixed))
    assert result.exit_code == 1
    assert "mixed.jsonl, line 2" in result.output
    assert run("posts", "--source", "twitter", "--format", "jsonl").output.count("\n") > 0


@pytest.mark.parametrize("name, content", [
    ("nothing.csv", "colour,size\nred,3\n"),
    ("broken.jsonl", "{oops\n[also broken\n"),
])
def test_nothing_usable_exits_2_and_says_why(run, tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    source = "douyin" if name.endswith(".csv") else "twitter"
    result = run("import", source, str(path))
    assert result.exit_code == 2, result.output
    assert name in result.output


def test_missing_file_is_named(run, tmp_path):
    result = run("import", "douyin", str(tmp_path / "absent.ndjson"))
    assert result.exit_code == 2
    assert "absent.ndjson" in result.output


def test_bad_config_exits_2_naming_the_key(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("campaign: {name: x, hashtags: [], sections: []}\n", encoding="utf-8")
    result = CliRunner().invoke(get_app(), ["posts", "--config", str(config)])
    assert result.exit_code == 2
    assert "campaign.hashtags" in result.output


def test_demo_checks_the_port_before_touching_anything(run, tmp_path):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(get_app(), ["demo", "--dir", str(tmp_path / "d"),
                                                "--port", str(port)])
    assert result.exit_code == 1 and f"cannot listen on 127.0.0.1:{port}" in result.output
    assert not (tmp_path / "d").exists()


def test_demo_keeps_an_existing_demo_unless_reset_and_names_the_config(run, tmp_path):
    folder = tmp_path / "d"
    first = run("demo", "--dir", str(folder), "--no-serve")
    assert first.exit_code == 0
    assert f"--config {folder / 'config.yaml'}" in first.stdout
    again = CliRunner().invoke(get_app(), ["demo", "--dir", str(folder), "--no-serve"])
    assert again.exit_code == 1 and "holds a demo already" in again.output
    assert "--reset" in again.output and f"--config {folder / 'config.yaml'}" in again.output
    reset = run("demo", "--dir", str(folder), "--no-serve", "--reset")
    assert reset.exit_code == 0 and "demo moderator" in reset.stdout
