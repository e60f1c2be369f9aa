"""Posts prepared a batch ahead in the detection worker: the same results as prepared here."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from cqfriends.moderation.checks import language
from cqfriends.moderation.checks.batch import Checker
from cqfriends.moderation.checks.prepare import prepare, prepare_after
from cqfriends.moderation.checks.rules import Rules
from cqfriends.settings import Settings
from cqfriends.store.checks import load_posts, save_results
from cqfriends.store.db import session_scope
from tests.conftest import make_settings
from tests.moderation.checks.test_runner import first_batch, store

TIMES = ("checked_at", "changed_at")


@pytest.fixture(scope="module")
def pool() -> Iterator[Any]:
    pool = language.open_pool(2)
    assert pool is not None, "the look-ahead needs a worker process"
    yield pool
    language.close_pool(pool)


def _settings(tmp_path: Path, db_url: str) -> Settings:
    return make_settings(tmp_path, db_url)


def _check_in_batches(engine: Engine, settings: Settings, pool: Any, size: int,
                      between: Any = None) -> list[dict[str, Any]]:
    """check_batch over every post, ``size`` at a time, in one transaction rolled back after."""
    results: list[dict[str, Any]] = []
    with session_scope(engine) as session, Checker(settings, pool=pool) as checker:
        after = 0
        while posts := load_posts(session=session, after_id=after, limit=size):
            if between is not None and after:
                between(checker, session)
                posts = load_posts(session=session, after_id=after, limit=size)
            rows = checker.check_batch(session, posts)
            save_results(session=session, results=rows)
            results += [{k: v for k, v in r.items() if k not in TIMES} for r in rows]
            after = posts[-1]["id"]
        session.rollback()
    return results


def test_a_worker_prepares_what_this_process_would(engine: Engine, db_url: str, tmp_path: Path,
                                                   pool: Any) -> None:
    settings = _settings(tmp_path, db_url)
    store(engine, first_batch())
    url = engine.url.render_as_string(hide_password=False)
    ahead = pool.apply(prepare_after, (url, settings, 0, 100))
    with session_scope(engine) as session:
        posts = load_posts(session=session, after_id=0, limit=100)
    rules = Rules.from_settings(settings)
    assert ahead == {p["id"]: prepare(p, settings, rules) for p in posts}
    assert len(ahead) == 10


def test_checks_with_the_look_ahead_match_checks_without(engine: Engine, db_url: str,
                                                         tmp_path: Path, pool: Any) -> None:
    settings = _settings(tmp_path, db_url)
    store(engine, first_batch())
    used: list[int] = []

    def count_ahead(checker: Checker, _session: Any) -> None:
        assert checker.ahead is not None  # asked for while the batch before was checked
        used.append(len(checker.ahead.get()))

    alone = _check_in_batches(engine, settings, None, 3)
    helped = _check_in_batches(engine, settings, pool, 3, between=count_ahead)
    assert helped == alone
    assert used == [3, 3, 1]  # batches 2-4 came prepared from the worker
    assert {r["status"] for r in alone if "status" in r} >= {"pending", "duplicate"}


def test_a_post_changed_after_the_look_ahead_is_prepared_again(
        engine: Engine, db_url: str, tmp_path: Path, pool: Any) -> None:
    settings = _settings(tmp_path, db_url)
    store(engine, first_batch())

    def edit_after_the_worker_read(checker: Checker, session: Any) -> None:
        checker.ahead.wait()  # the caption loses its campaign hashtag after the worker read it
        if session.execute(sa.text("SELECT checked_at FROM post WHERE source_id = '1009'")
                           ).scalar() is None:
            session.execute(sa.text("UPDATE post SET text = 'Morning hotpot', hashtags = '[]' "
                                  "WHERE source_id = '1009'"))

    rows = _check_in_batches(engine, settings, pool, 5, between=edit_after_the_worker_read)
    with session_scope(engine) as session:
        edited = session.execute(sa.text("SELECT id FROM post WHERE source_id = '1009'")).scalar()
    row = next(r for r in rows if r["id"] == edited)
    assert "off-topic" in [f["code"] for f in row["flags"]]


def test_a_failed_look_ahead_only_costs_time(engine: Engine, db_url: str, tmp_path: Path,
                                             pool: Any) -> None:
    settings = _settings(tmp_path, db_url)
    store(engine, first_batch())

    class Failed:
        def get(self) -> None:
            raise sa.exc.OperationalError("SELECT", {}, Exception("database is locked"))

    def fail(checker: Checker, _session: Any) -> None:
        checker.ahead = Failed()

    assert _check_in_batches(engine, settings, pool, 4, between=fail) == _check_in_batches(
        engine, settings, None, 4)
