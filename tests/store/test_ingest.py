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


def good_and_bad_posts(n: int):
    """Posts as a normalizer would hand them on, one with a count no BIGINT holds."""
    from dataclasses import replace

    from cqfriends.normalize import normalize_record as real

    def fake(record, options):
        batch = real(record, options)
        if record.line == 2:  # past clean_post: only the database can refuse it now
            batch.posts = [replace(p, metrics=replace(p.metrics, likes=2**63)) for p in batch.posts]
        return batch
    return fake


def test_a_refused_row_costs_only_itself_on_both_databases(engine, monkeypatch):
    import cqfriends.store.ingest as ingest

    monkeypatch.setattr(ingest, "normalize_record", good_and_bad_posts(1))
    records = [page("41", "42"), RawRecord(source="twitter", kind="search_page",
                                           data=page("43").data, origin="p.jsonl",
                                           fetched_at=FETCHED, line=2), page("44")]
    summary = ingest_records(records, engine=engine, options=NormalizeOptions())
    assert (summary.read, summary.new, summary.bad) == (4, 3, 1)
    [error] = summary.errors
    assert (error.file, error.line) == ("p.jsonl", 2) and "database refused" in str(error)
    with session_scope(engine) as session:
        assert count_posts(session=session) == 3


def test_nul_bytes_and_huge_counts_are_stored_cleaned_on_both_databases(engine):
    data = page("51", "52").data
    data["data"][0]["text"] = "NUL \x00 in the text \ud800"
    data["data"][1]["public_metrics"]["like_count"] = 10**20
    record = RawRecord(source="twitter", kind="search_page", data=data, origin="p",
                       fetched_at=FETCHED)
    summary = ingest_records([record], engine=engine, options=NormalizeOptions())
    assert (summary.new, summary.bad, summary.warned) == (2, 0, 2)
    with session_scope(engine) as session:
        assert count_posts(session=session) == 2


def test_the_counts_add_up_with_duplicates_in_the_file(engine):
    records = [page("61", "62"), page("61"), page("63", "62", "62")]
    summary = ingest_records(records, engine=engine, options=NormalizeOptions(), batch_size=2)
    assert (summary.read, summary.new, summary.duplicates) == (6, 3, 3)
    assert summary.read == summary.new + summary.updated + summary.unchanged + \
        summary.duplicates + summary.bad
    again = ingest_records(records, engine=engine, options=NormalizeOptions())
    assert (again.new, again.unchanged, again.duplicates) == (0, 3, 3)


def test_an_edit_is_one_post_and_an_older_version_never_wins(engine):
    def version(tid: str, text: str) -> RawRecord:
        data = page(tid).data
        data["data"][0].update(text=text, edit_history_tweet_ids=["71", "72"])
        return RawRecord(source="twitter", kind="search_page", data=data, origin="t",
                         fetched_at=FETCHED)

    ingest_records([version("72", "newer #ChongqingFriends")], engine=engine,
                   options=NormalizeOptions())
    later = ingest_records([version("71", "older")], engine=engine, options=NormalizeOptions())
    assert (later.new, later.updated, later.unchanged) == (0, 0, 1)
    from cqfriends.store.posts import get_post
    with session_scope(engine) as session:
        post = get_post(session=session, key="twitter:71")
        assert post.text == "newer #ChongqingFriends" and post.url.endswith("/status/72")
        assert get_post(session=session, key="twitter:72") is None
