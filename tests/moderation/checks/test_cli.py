import json
from pathlib import Path

from typer.testing import CliRunner

from cqfriends.cli import get_app
from cqfriends.store.db import get_engine, session_scope
from cqfriends.store.posts import upsert_posts
from tests.factories import make_post


def test_cqf_check_then_posts_jsonl(sqlite_url: str, tmp_path: Path) -> None:
    with session_scope(get_engine(sqlite_url)) as session:
        upsert_posts(session=session, posts=[
            make_post(source_id="31", text="Night market with friends #ChongqingFriends"),
            make_post(source_id="32", text="No tag here at all, just a walk", hashtags=[])])
    runner = CliRunner()
    env = {"CQF_DATABASE_URL": sqlite_url}
    result = runner.invoke(get_app(), ["check"], env=env)
    assert result.exit_code == 0, result.output
    assert "checked 2: pending 2" in result.output
    assert "off-topic 1" in result.output
    listed = runner.invoke(get_app(), ["posts", "--format", "jsonl"], env=env)
    rows = {r["key"]: r for r in map(json.loads, listed.stdout.splitlines())}
    assert rows["twitter:32"]["flags"] == [{"code": "off-topic",
                                            "detail": "no #ChongqingFriends hashtag"}]
    assert rows["twitter:31"]["duplicate_of"] is None
    again = runner.invoke(get_app(), ["check", "--recheck"], env=env)
    assert again.exit_code == 0 and "checked 0" in again.output and "rechecked 2" in again.output
