import json
import re

import pytest
import typer
from typer.testing import CliRunner

from cqfriends.export.cli import register
from tests.conftest import make_settings
from tests.export.archived import archive_all
from tests.export.conftest import nasty_post
from tests.factories import make_post


@pytest.fixture
def cqf(tmp_path, db_url, monkeypatch):
    """The export commands on a config whose database is the test database."""
    config = tmp_path / "config.yaml"
    config.write_text("campaign:\n  name: Foreigners @Chongqing\n  hashtags: [ChongqingFriends]\n"
                      "  sections:\n    - {id: mobile, name: Mobile phone works}\n"
                      "    - {id: professional, name: Professional works}\n"
                      "    - {id: short-video, name: Short video works}\n")
    monkeypatch.setenv("CQF_DATABASE_URL", db_url)
    app = typer.Typer()
    app.callback()(lambda: None)
    register(app)
    runner = CliRunner()

    def run(*args: str):
        result = runner.invoke(app, [*args, "--config", str(config)])
        assert result.exit_code == 0, result.output
        return result.stdout

    return run


def test_tokens_create_prints_the_token_alone_on_the_last_line(cqf, engine):
    from cqfriends.store.db import session_scope
    from cqfriends.store.tokens import check_token

    out = cqf("tokens", "create", "--name", "web-team")
    token = out.strip().splitlines()[-1]
    assert token.startswith("cqf_") and " " not in token
    assert token not in cqf("tokens", "list")
    with session_scope(engine) as session:
        assert check_token(session=session, token=token).name == "web-team"
    cqf("tokens", "revoke", "web-team")
    with session_scope(engine) as session:
        assert check_token(session=session, token=token) is None


@pytest.mark.parametrize("fmt, marker", [("json", '"posts"'), ("jsonfeed", "jsonfeed.org"),
                                         ("atom", "<feed"), ("csv", "key,source")])
def test_export_feed_writes_every_format_to_stdout(cqf, add_posts, fmt, marker):
    add_posts(nasty_post())
    out = cqf("export", "feed", "--format", fmt)
    assert marker in out and "javascript:" not in out


def test_report_json_has_totals_by_day_and_by_source(cqf, add_posts):
    add_posts(make_post(), make_post())
    report = json.loads(cqf("report", "--format", "json", "--since", "2026-10-01"))
    assert set(report["totals"]) >= {"posts", "authors", "approved", "rejected", "pending",
                                     "likes", "comments", "shares", "views"}
    assert report["totals"]["approved"] == 2
    assert report["by_day"][0]["day"] == "2026-10-03" and report["by_source"][0]["posts"] == 2


def test_site_led_and_draw_commands(cqf, add_posts, tmp_path, engine, db_url):
    add_posts(make_post(), featured=True)
    archive_all(engine, make_settings(tmp_path, db_url))  # media.dir: beside the config
    assert "published" in cqf("export", "site", str(tmp_path / "www"))
    assert "nothing rewritten" in cqf("export", "site", str(tmp_path / "www"))
    assert "1 items" in cqf("export", "led", str(tmp_path / "led"))
    assert len(list((tmp_path / "led" / "media").rglob("display.jpg"))) == 1
    assert len(list((tmp_path / "www" / "media").rglob("thumb.webp"))) == 1
    out = cqf("draw", "--n", "1", "--seed", "public-seed", "--as", "manager1")
    assert "1 entries" in out and re.search(r"^1\. Friend \d+ \(@friend\d+\) · twitter:\d+$",
                                            out, re.M)
