"""``cqf import``: warnings shown, empty mappings refused, TikTok; ``cqf renormalize``."""

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from cqfriends.cli import get_app
from cqfriends.store.db import get_engine, session_scope
from cqfriends.store.models import PostRow

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def run(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CQF_DATABASE_URL", url)
    runner = CliRunner()

    def invoke(*args: str):
        result = runner.invoke(get_app(), list(args), catch_exceptions=False)
        result.url = url
        return result

    return invoke


def posts(run) -> list[dict]:
    return [json.loads(line) for line in run("posts", "--format", "jsonl").output.splitlines()]


def test_warnings_are_counted_then_the_first_few_shown_with_file_and_line(run, tmp_path):
    path = tmp_path / "no-times.csv"
    rows = ["作品ID,作品描述,账号昵称"] + [
        f"74326000000000009{n:02d},作品 {n},Leo" for n in range(8)
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = run("import", "douyin", str(path))
    assert result.exit_code == 0, result.output
    assert "warnings: 8 (the first 5:)" in result.output
    assert result.output.count("warning:") == 5
    assert f"{path}, line 2: douyin:7432600000000000900: no publish time" in result.output


def test_columns_with_no_caption_time_or_author_exit_2_naming_the_expected_ones(run, tmp_path):
    path = tmp_path / "ids-only.csv"
    path.write_text(
        "作品ID,点赞数\n7432600000000000901,3\n7432600000000000902,4\n", encoding="utf-8"
    )
    result = run("import", "douyin", str(path))
    assert result.exit_code == 2, result.output
    assert "no caption, no time and no author" in result.output
    assert (
        "作品描述" in result.output and "发布时间" in result.output and "账号昵称" in result.output
    )
    assert posts(run) == []


def test_the_summary_line_counts_duplicates_in_the_file(run, tmp_path):
    line = (FIXTURES / "twitter/campaign_pages.jsonl").read_text(encoding="utf-8").splitlines()[0]
    path = tmp_path / "twice.jsonl"
    path.write_text(line + "\n" + line + "\n", encoding="utf-8")
    result = run("import", "twitter", str(path))
    assert "read 6, new 3, updated 0, unchanged 0, duplicates 3, bad 0" in result.output


def test_import_tiktok_and_tiktok_in_the_douyin_inbox(run):
    result = run("import", "tiktok", str(FIXTURES / "tiktok/zeeschuimer_tiktok.csv"))
    assert result.exit_code == 0, result.output
    again = run("import", "douyin", str(FIXTURES / "tiktok/zeeschuimer_tiktok.ndjson"))
    assert again.exit_code == 0 and "new 0, updated 2" in again.output
    found = posts(run)
    assert {p["key"] for p in found} == {"tiktok:7434000000000000701", "tiktok:7434000000000000702"}
    assert found[0]["url"] == "https://www.tiktok.com/@ana.travels/video/7434000000000000701"
    assert {p["status"] for p in found} <= {"pending", "duplicate"}  # same checks and queue


def test_a_non_json_ndjson_file_is_named_with_a_json_message(run, tmp_path):
    path = tmp_path / "export.ndjson"
    path.write_text("colour,size\nred,3\n", encoding="utf-8")
    result = run("import", "douyin", str(path))
    assert (
        result.exit_code == 2
        and "not JSON" in result.output
        and "expected one of" not in result.output
    )


def test_renormalize_remaps_stored_payloads_and_keeps_moderation(run):
    assert run("import", "douyin", str(FIXTURES / "douyin/share_item_list.json")).exit_code == 0
    engine = get_engine(run("posts").url)
    with session_scope(engine) as session:  # as an older mapping stored it, then decided
        session.execute(
            sa.update(PostRow).values(
                text="old mapping", likes=0, status="approved", section="mobile"
            )
        )
    first = run("renormalize", "--source", "douyin")
    assert first.exit_code == 0, first.output
    assert "read 2, changed 2, unchanged 0, failed 0" in first.output
    with session_scope(engine) as session:
        rows = session.scalars(sa.select(PostRow).order_by(PostRow.id)).all()
        assert [r.likes for r in rows] == [2301, 97] and rows[0].text.startswith("第一次坐长江索道")
        assert {(r.status, r.section) for r in rows} == {("approved", "mobile")}
    assert "changed 0, unchanged 2" in run("renormalize").output
    assert "read 0" in run("renormalize", "--source", "twitter").output
