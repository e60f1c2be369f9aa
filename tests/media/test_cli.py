"""``cqf media fetch|status|copy``: what an operator types, and the one summary line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cqfriends.cli import get_app
from cqfriends.store.db import get_engine, migrate
from tests.export.conftest import make_adder
from tests.media import files
from tests.media.conftest import photo_post

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def config(tmp_path) -> Path:
    data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data["database"]["url"] = f"sqlite:///{tmp_path / 'cqf.db'}"
    data["media"].update(dir="archive", allow_private_hosts=True, timeout_seconds=5)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    migrate(data["database"]["url"])
    return path


def cqf(*args: str):
    return CliRunner().invoke(get_app(), list(args), catch_exceptions=False)


def test_fetch_prints_one_line_and_status_counts(config, tmp_path, media_server, monkeypatch):
    monkeypatch.delenv("CQF_DATABASE_URL", raising=False)
    add = make_adder(get_engine(f"sqlite:///{tmp_path / 'cqf.db'}"))
    good = media_server.add("/a.jpg", files.jpeg())
    add(photo_post(good), photo_post(good, source_id="77"), status="approved")
    add(photo_post(media_server.add("/e.jpg", files.HTML_ERROR, "image/jpeg")), status="pending")
    result = cqf("media", "fetch", "--config", str(config))
    assert result.exit_code == 1, result.output
    assert result.output.strip().splitlines()[-1] == "fetched 1, failed 1, skipped 1"
    status = cqf("media", "status", "--config", str(config))
    assert status.exit_code == 0
    table = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:5]]
             for line in status.output.splitlines() if line.count("│") >= 4}
    assert table["archived"] == ["0", "2", "2"] and table["failed"] == ["1", "0", "1"]
    assert "archived originals: 1 files" in status.output
    assert (tmp_path / "archive" / "originals").is_dir()  # media.dir beside the config
    again = cqf("media", "fetch", "--config", str(config))
    assert again.exit_code == 0 and again.output.strip() == "fetched 0, failed 0, skipped 0"
    copy = cqf("media", "copy", "--to", str(tmp_path / "elsewhere"), "--config", str(config))
    assert copy.exit_code == 0 and copy.output.strip().startswith("copied 3, already there 0")


@pytest.mark.parametrize(("args", "message"), [
    (["--key", "nonsense"], "not a post key"), (["--status", "lost"], "use one of")])
def test_bad_options_are_named(config, args, message):
    result = cqf("media", "fetch", *args, "--config", str(config))
    assert result.exit_code == 2 and message in result.output


def test_fetch_one_key(config, tmp_path, media_server, monkeypatch):
    monkeypatch.delenv("CQF_DATABASE_URL", raising=False)
    add = make_adder(get_engine(f"sqlite:///{tmp_path / 'cqf.db'}"))
    url = media_server.add("/a.jpg", files.jpeg())
    [first, _] = add(photo_post(url), photo_post(url), status="approved")
    result = cqf("media", "fetch", "--key", first, "--config", str(config))
    assert result.output.strip().splitlines()[-1] == "fetched 1, failed 0, skipped 0"
