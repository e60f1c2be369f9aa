"""collectors/twitter.py against ``responses`` fakes of api.twitter.com (no live calls)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from pydantic import SecretStr

from cqfriends.collectors import twitter
from cqfriends.errors import AuthError, CollectorError, ConfigError, RateLimited
from cqfriends.settings import TwitterSource

FIXTURES = Path(__file__).parent.parent / "fixtures" / "twitter"
SEARCH = "https://api.twitter.com/2/tweets/search/recent"
LOOKUP = "https://api.twitter.com/2/tweets"
TOKEN = "AAAAAAAAAAAAAAAAAAAAAtest-bearer-token"
RESET = datetime(2026, 10, 7, 15, 0, tzinfo=UTC)


def body(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def query(call) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


@pytest.fixture
def cfg() -> TwitterSource:
    return TwitterSource(enabled=True, bearer_token=SecretStr(TOKEN), max_results=10, max_pages=5)


@pytest.fixture
def client(cfg):
    return twitter.make_client(cfg)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def collect(cfg, client, sleeps, cursor=None):
    return list(twitter.collect(cfg, cursor or {}, client, sleep=sleeps.append))


def test_two_pages_follow_next_token_and_only_the_last_moves_the_cursor(api, cfg, client, sleeps):
    api.get(SEARCH, json=body("search_p1.json"))
    api.get(SEARCH, json=body("search_p2.json"))
    records = collect(cfg, client, sleeps)
    assert [len(r.data["data"]) for r in records] == [2, 1]
    assert [r.kind for r in records] == ["search_page", "search_page"]
    assert records[0].cursor_after is None
    assert records[1].cursor_after == {"since_id": "1975100000000000001"}  # page 1's newest
    first, second = (query(c) for c in api.calls)
    assert "next_token" not in first and "since_id" not in first
    assert second["next_token"] == "b26v89c19zqg8o3fqtest0next0token0page0two01"
    assert first["query"] == "#ChongqingFriends -is:retweet" and first["max_results"] == "10"
    assert "variants" in first["media.fields"] and "public_metrics" in first["tweet.fields"]
    assert "referenced_tweets.id.author_id" in first["expansions"]
    assert api.calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in records[0].origin and records[0].origin.startswith(SEARCH)
    assert records[0].fetched_at.tzinfo is UTC and sleeps == []


def test_since_id_resume_sends_since_id(api, cfg, client, sleeps):
    api.get(SEARCH, json=body("search_p2.json"))
    records = collect(cfg, client, sleeps, {"since_id": "1975000000000000000"})
    assert query(api.calls[0])["since_id"] == "1975000000000000000"
    assert records[-1].cursor_after == {"since_id": "1975100000000000003"}


def test_nothing_new_keeps_the_old_since_id(api, cfg, client, sleeps):
    api.get(SEARCH, json=body("empty_page.json"))
    records = collect(cfg, client, sleeps, {"since_id": "1975000000000000000"})
    assert len(records) == 1 and records[0].cursor_after == {"since_id": "1975000000000000000"}


def test_max_pages_stops_pagination(api, cfg, client, sleeps):
    api.get(SEARCH, json=body("search_p1.json"))
    records = collect(cfg.model_copy(update={"max_pages": 1}), client, sleeps)
    assert len(api.calls) == 1 and records[0].cursor_after == {"since_id": "1975100000000000001"}


def test_429_raises_rate_limited_with_reset_at_and_no_sleep(api, cfg, client, sleeps):
    api.get(
        SEARCH,
        json=body("error_429.json"),
        status=429,
        headers={
            "x-rate-limit-limit": "450",
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": str(int(RESET.timestamp())),
        },
    )
    with pytest.raises(RateLimited) as caught:
        collect(cfg, client, sleeps)
    assert caught.value.reset_at == RESET
    assert sleeps == []


def test_429_on_page_two_keeps_page_one_without_moving_the_cursor(api, cfg, client, sleeps):
    api.get(SEARCH, json=body("search_p1.json"))
    api.get(
        SEARCH,
        json=body("error_429.json"),
        status=429,
        headers={"x-rate-limit-reset": str(int(RESET.timestamp()))},
    )
    generator = twitter.collect(cfg, {}, client, sleep=sleeps.append)
    first = next(generator)
    assert first.cursor_after is None and len(first.data["data"]) == 2
    with pytest.raises(RateLimited):
        next(generator)


@pytest.mark.parametrize(("failures", "retries"), [(1, [2.0]), (2, [2.0, 4.0])])
def test_5xx_is_retried_with_backoff_then_succeeds(api, cfg, client, sleeps, failures, retries):
    for _ in range(failures):
        api.get(SEARCH, json=body("error_503.json"), status=503)
    api.get(SEARCH, json=body("search_p2.json"))
    records = collect(cfg, client, sleeps)
    assert len(records) == 1 and sleeps == retries


def test_5xx_gives_up_after_bounded_tries(api, cfg, client, sleeps):
    api.get(SEARCH, json=body("error_503.json"), status=503)
    with pytest.raises(CollectorError, match="gave up after 3 tries: server error 503"):
        collect(cfg, client, sleeps)
    assert len(api.calls) == 3 and sleeps == [2.0, 4.0]


@pytest.mark.parametrize(
    "exc", [requests.ConnectionError("reset by peer"), requests.ReadTimeout("read timed out")]
)
def test_connection_errors_are_retried(api, cfg, client, sleeps, exc):
    api.get(SEARCH, body=exc)
    api.get(SEARCH, json=body("search_p2.json"))
    assert len(collect(cfg, client, sleeps)) == 1 and sleeps == [2.0]


@pytest.mark.parametrize(
    ("status", "fixture", "message"),
    [
        (401, "error_401.json", "bearer token rejected"),
        (403, "error_403.json", "lacks access.*attached to a Project"),
    ],
)
def test_401_and_403_are_auth_errors_without_retry(
    api, cfg, client, sleeps, status, fixture, message
):
    api.get(SEARCH, json=body(fixture), status=status)
    with pytest.raises(AuthError, match=message) as caught:
        collect(cfg, client, sleeps)
    assert TOKEN not in str(caught.value)
    assert len(api.calls) == 1 and sleeps == []


def test_bad_request_is_a_collector_error(api, cfg, client, sleeps):
    api.get(
        SEARCH,
        status=400,
        json={
            "errors": [
                {
                    "parameters": {"query": ["#"]},
                    "message": "There were errors processing your request: Invalid query",
                }
            ],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request",
        },
    )
    with pytest.raises(CollectorError, match="400.*parameters to your request was invalid"):
        collect(cfg, client, sleeps)


def test_missing_token_is_a_config_error():
    with pytest.raises(ConfigError, match="CQF_TWITTER_BEARER_TOKEN"):
        twitter.make_client(TwitterSource())


def test_fetch_tweets_batches_ids_by_100(api, cfg, client, sleeps):
    api.get(LOOKUP, json=body("tweets_lookup.json"))
    ids = [str(1975100000000000000 + i) for i in range(150)]
    records = list(twitter.fetch_tweets(cfg, ids, client, sleep=sleeps.append))
    assert [r.kind for r in records] == ["tweets_page", "tweets_page"]
    sent = [query(c)["ids"].split(",") for c in api.calls]
    assert sent == [ids[:100], ids[100:]]
    assert "attachments.media_keys" in query(api.calls[0])["expansions"]


def test_429_without_reset_header_waits_one_window(api, cfg, client, sleeps):
    api.get(SEARCH, json=body("error_429.json"), status=429)
    before = datetime.now(UTC)
    with pytest.raises(RateLimited) as caught:
        collect(cfg, client, sleeps)
    assert before + twitter.RATE_WINDOW <= caught.value.reset_at
