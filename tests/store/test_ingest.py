from datetime import UTC, datetime

import pytest

from cqfriends.errors import BadInput, RateLimited
from cqfriends.normalize.post import NormalizeOptions, RawRecord
from cqfriends.store.db import session_scope
from cqfriends.store.ingest import ingest_records
from cqfriends.store.posts import count_posts
from cqfriends.store.sources import get_source_state

FETCHED = datetime(2026, 10, 5, tzinfo=UTC)


def page(*ids: str, cursor: dict | None = None) -> RawRecord:
    tweets = [{"id": i, "text": f"Tweet {i} #ChongqingFriends", "author_id": "42",
               "created_at": "2026-10-03T11:20:00.000Z", "lang": "en",
               "public_metrics": {"like_count": 1, "reply_count": 0, "retweet_count": 0,
                                  "quote_count": 0}} for i in ids]
    data = {"data": tweets, "includes": {"users": [{"id": "42", "name": "Ann", "username": "ann"}]},
            "meta": {"result_count": len(ids)}}
    return RawRecord(source="twitter", kind="search_page", data=data, origin="test",
                     fetched_at=FETCHED, cursor_after=cursor)


def bad(line: int) -> RawRecord:
    return RawRecord(source="twitter", kind="bad", origin="pages.jsonl", fetched_at=FETCHED,
                     data=BadInput("not JSON", file="pages.jsonl", line=line), line=line)


def cursor_of(engine) -> dict:
    with session_scope(engine) as session:
        return get_source_state(session=session, source="twitter").cursor


def test_counts_good_and_bad_and_saves_the_cursor_with_the_last_page(engine):
    records = [page("11", "12"), bad(2), page("13", cursor={"since_id": "13"})]
    summary = ingest_records(records, engine=engine, options=NormalizeOptions(), batch_size=1)
    assert (summary.read, summary.new, summary.bad) == (4, 3, 1)
    assert "pages.jsonl, line 2" in str(summary.errors[0])
    assert cursor_of(engine) == {"since_id": "13"}
    again = ingest_records([page("11", "12")], engine=engine, options=NormalizeOptions())
    assert (again.new, again.unchanged) == (0, 2)


def test_a_failing_collector_keeps_fetched_posts_but_not_the_cursor(engine):
    def rate_limited_on_page_two():
        yield page("31", "32")
        raise RateLimited("429", reset_at=FETCHED)

    with pytest.raises(RateLimited):
        ingest_records(rate_limited_on_page_two(), engine=engine, options=NormalizeOptions())
    with session_scope(engine) as session:
        assert count_posts(session=session) == 2
    assert cursor_of(engine) == {}
