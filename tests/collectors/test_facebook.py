"""collectors/facebook.py against ``responses`` fakes of graph.facebook.com (no live calls)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from pydantic import SecretStr

from cqfriends.collectors import facebook as fb
from cqfriends.errors import AuthError, CollectorError, ConfigError, RateLimited
from cqfriends.settings import FacebookSource

FIXTURES = Path(__file__).parent.parent / "fixtures" / "facebook"
GRAPH = "https://graph.facebook.com/v19.0"
PAGE = "104900000000001"
IG_USER = "17841400000000001"
HASHTAG = "17843915820034567"
TOKEN = "EAAGcqfTestPageToken0123456789"
SECRET = "app-secret-for-tests"


def body(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def query(call) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query,
                                         keep_blank_values=True).items()}


def path(call) -> str:
    return urlsplit(call.request.url).path


def graph_error(code: int, subcode: int | None = None, message: str = "failed") -> dict:
    error = {"message": message, "type": "OAuthException", "code": code,
             "fbtrace_id": "AQt_cqfTrace02"}
    if subcode:
        error["error_subcode"] = subcode
    return {"error": error}


def make_cfg(**overrides) -> FacebookSource:
    values = {"enabled": True, "access_token": SecretStr(TOKEN), "app_secret": SecretStr(SECRET),
              "pages": [PAGE], "tagged": False, "page_limit": 2, "max_pages": 5}
    return FacebookSource(**{**values, **overrides})


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def collect(cfg, cursor=None, sleeps=None):
    sleeps = [] if sleeps is None else sleeps
    return list(fb.collect(cfg, cursor or {}, fb.make_graph(cfg), sleep=sleeps.append))


def test_feed_two_pages_via_paging_next(api):
    api.get(f"{GRAPH}/{PAGE}/feed", json=body("feed_p1.json"))
    api.get(f"{GRAPH}/{PAGE}/feed", json=body("feed_p2.json"))
    records = collect(make_cfg())
    assert [len(r.data["data"]) for r in records] == [2, 1]
    first, second = api.calls[0], api.calls[1]
    assert path(first) == f"/v19.0/{PAGE}/feed"  # the versioned path, not the SDK's v2.8
    assert query(first)["fields"] == fb.FEED_FIELDS and query(first)["limit"] == "2"
    assert query(second)["after"] == "QVFIUmFmdGVy"
    assert query(second)["access_token"] == TOKEN  # the SDK adds the real token back
    assert {r.source for r in records} == {"facebook"}
    assert {r.kind for r in records} == {"graph_page"}


def test_appsecret_proof_on_every_request(api):
    api.get(f"{GRAPH}/{PAGE}/feed", json=body("feed_p1.json"))
    api.get(f"{GRAPH}/{PAGE}/feed", json=body("feed_p2.json"))
    collect(make_cfg())
    want = hmac.new(SECRET.encode(), TOKEN.encode(), hashlib.sha256).hexdigest()
    assert [query(c)["appsecret_proof"] for c in api.calls] == [want, want]


def test_no_proof_without_app_secret(api):
    api.get(f"{GRAPH}/{PAGE}/feed", json=body("feed_p2.json"))
    collect(make_cfg(app_secret=None))
    assert "appsecret_proof" not in query(api.calls[0])


def test_time_paging_without_cursors(api):
    api.get(f"{GRAPH}/{PAGE}/feed", json=body("posts_p1.json"))
    api.get(f"{GRAPH}/{PAGE}/posts", json=body("posts_p2.json"))
    records = collect(make_cfg())
    assert len(records) == 2
    second = query(api.calls[1])
    assert path(api.calls[1]) == f"/v19.0/{PAGE}/posts"
    assert second["until"] == "1790948541" and second["__paging_token"] == "enc_AdA2"
    assert second["since"] == ""


def test_cursor_only_on_last_record_and_resumes(api):
    api.get(f"{GRAPH}/{PAGE}/feed", json=body("feed_p1.json"))
    api.get(f"{GRAPH}/{PAGE}/feed", json=body("feed_p2.json"))
    api.get(f"{GRAPH}/{PAGE}/tagged", json=body("tagged.json"))
    records = collect(make_cfg(tagged=True), cursor={"tagged:x": {"since": 5}})
    assert [r.cursor_after for r in records[:-1]] == [None, None]
    newest_feed = int(datetime(2026, 10, 3, 12, 5, tzinfo=UTC).timestamp())
    newest_tagged = int(datetime(2026, 10, 3, 3, 59, 53, tzinfo=UTC).timestamp())
    assert records[-1].cursor_after == {"tagged:x": {"since": 5},
                                        f"feed:{PAGE}": {"since": newest_feed},
                                        f"tagged:{PAGE}": {"since": newest_tagged}}
    api.calls.reset()
    collect(make_cfg(), cursor=records[-1].cursor_after)
    assert query(api.calls[0])["since"] == str(newest_feed)


def test_empty_page_keeps_old_since(api):
    api.get(f"{GRAPH}/{PAGE}/feed", json={"data": []})
    [record] = collect(make_cfg(), cursor={f"feed:{PAGE}": {"since": 1790000000}})
    assert record.cursor_after == {f"feed:{PAGE}": {"since": 1790000000}}


def test_max_pages_bounds_each_edge(api):
    api.get(f"{GRAPH}/{PAGE}/feed", json=body("feed_p1.json"))
    assert len(collect(make_cfg(max_pages=1))) == 1
    assert len(api.calls) == 1


def test_instagram_hashtag_search_then_recent_media(api):
    api.get(f"{GRAPH}/ig_hashtag_search", json=body("ig_hashtag_search.json"))
    api.get(f"{GRAPH}/{HASHTAG}/recent_media", json=body("ig_recent_p1.json"))
    api.get(f"{GRAPH}/{HASHTAG}/recent_media", json=body("ig_recent_p2.json"))
    cfg = make_cfg(pages=[], instagram_user_id=IG_USER, instagram_hashtags=["#ChongqingFriends"],
                   page_limit=80)
    records = collect(cfg)
    search, media = query(api.calls[0]), query(api.calls[1])
    assert (search["user_id"], search["q"]) == (IG_USER, "chongqingfriends")
    assert media["user_id"] == IG_USER and media["limit"] == "50"
    assert "timestamp" in media["fields"] and "username" not in media["fields"]
    assert len(records) == 2
    assert records[-1].cursor_after == {"ig_hashtag:chongqingfriends": {"id": HASHTAG}}
    api.calls.reset()
    collect(cfg, cursor=records[-1].cursor_after)  # the id is cached: no second search
    assert [path(c) for c in api.calls][0] == f"/v19.0/{HASHTAG}/recent_media"


def test_unknown_hashtag_is_skipped(api):
    api.get(f"{GRAPH}/ig_hashtag_search", json={"data": []})
    cfg = make_cfg(pages=[], instagram_user_id=IG_USER, instagram_hashtags=["nosuchtag"])
    assert collect(cfg) == []


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80001])
def test_rate_limit_codes(api, code):
    api.get(f"{GRAPH}/{PAGE}/feed", json=graph_error(code), status=400)
    before = datetime.now(UTC)
    with pytest.raises(RateLimited) as caught:
        collect(make_cfg())
    assert before + timedelta(minutes=14) < caught.value.reset_at < before + timedelta(minutes=16)
    assert len(api.calls) == 1


def test_rate_limit_reset_from_usage_header(api):
    usage = {PAGE: [{"type": "pages", "call_count": 100, "total_cputime": 20, "total_time": 30,
                     "estimated_time_to_regain_access": 42}]}
    api.get(f"{GRAPH}/{PAGE}/feed", json=graph_error(80001), status=403,
            headers={"x-business-use-case-usage": json.dumps(usage)})
    before = datetime.now(UTC)
    with pytest.raises(RateLimited) as caught:
        collect(make_cfg())
    assert caught.value.reset_at - before >= timedelta(minutes=42)
    assert caught.value.reset_at - before < timedelta(minutes=43)


@pytest.mark.parametrize(("code", "subcode", "words"), [
    (190, 463, "access token expired or invalid"),
    (190, None, "access token expired or invalid"),
    (102, None, "access token expired or invalid"),
    (10, None, "permission missing"),
    (200, None, "permission missing"),
])
def test_auth_errors_are_not_retried(api, code, subcode, words):
    message = f"Error validating access token for {TOKEN}"
    api.get(f"{GRAPH}/{PAGE}/feed", json=graph_error(code, subcode, message), status=400)
    sleeps: list[float] = []
    with pytest.raises(AuthError) as caught:
        collect(make_cfg(), sleeps=sleeps)
    assert words in str(caught.value) and TOKEN not in str(caught.value)
    assert sleeps == [] and len(api.calls) == 1


@pytest.mark.parametrize("reply", [
    {"json": graph_error(2, message="Service temporarily unavailable"), "status": 503},
    {"json": graph_error(1, message="An unknown error occurred"), "status": 500},
    {"body": "<html>Bad gateway</html>", "status": 502, "content_type": "text/html"},
    {"body": requests.ConnectionError("connection reset")},
])
def test_transient_errors_retried_then_give_up(api, reply):
    api.get(f"{GRAPH}/{PAGE}/feed", **reply)
    sleeps: list[float] = []
    with pytest.raises(CollectorError) as caught:
        collect(make_cfg(), sleeps=sleeps)
    assert type(caught.value) is CollectorError and "gave up after 3 tries" in str(caught.value)
    assert sleeps == [2.0, 4.0] and len(api.calls) == 3
    assert TOKEN not in str(caught.value)


def test_transient_error_then_success(api):
    api.get(f"{GRAPH}/{PAGE}/feed", json=graph_error(2), status=500)
    api.get(f"{GRAPH}/{PAGE}/feed", json=body("feed_p2.json"))
    sleeps: list[float] = []
    records = collect(make_cfg(), sleeps=sleeps)
    assert len(records) == 1 and sleeps == [2.0]


def test_other_graph_error_names_the_api_message(api):
    api.get(f"{GRAPH}/{PAGE}/feed", json=body("error_permission.json"), status=400)
    with pytest.raises(CollectorError) as caught:
        collect(make_cfg())
    assert "Graph error 100" in str(caught.value)
    assert "pages_read_engagement" in str(caught.value)


def test_error_mid_run_yields_fetched_pages_without_cursor(api):
    api.get(f"{GRAPH}/{PAGE}/feed", json=body("feed_p1.json"))
    api.get(f"{GRAPH}/{PAGE}/feed", json=graph_error(4), status=400)
    got = []
    with pytest.raises(RateLimited):
        for record in fb.collect(make_cfg(), {}, fb.make_graph(make_cfg()), sleep=lambda s: None):
            got.append(record)
    assert len(got) == 1 and got[0].cursor_after is None


def test_token_never_in_origin(api):
    api.get(f"{GRAPH}/{PAGE}/feed", json=body("feed_p1.json"))
    api.get(f"{GRAPH}/{PAGE}/feed", json=body("feed_p2.json"))
    records = collect(make_cfg())
    assert records[0].origin == f"{GRAPH}/{PAGE}/feed?limit=2"
    for record in records:
        assert TOKEN not in record.origin and "appsecret_proof" not in record.origin
        assert record.fetched_at.tzinfo == UTC


def test_next_url_off_graph_is_refused(api):
    page = body("feed_p1.json")
    page["paging"]["next"] = "https://evil.example/v19.0/feed?after=x"
    api.get(f"{GRAPH}/{PAGE}/feed", json=page)
    with pytest.raises(CollectorError, match="leaves graph.facebook.com"):
        collect(make_cfg())
    assert len(api.calls) == 1


def test_missing_token_is_a_config_error():
    with pytest.raises(ConfigError, match="CQF_FACEBOOK_ACCESS_TOKEN"):
        fb.make_graph(make_cfg(access_token=None))


# fetch_posts: the metrics refresh's lookup by id (GET /{version}?ids=a,b&fields=...)

FB_POST = "104900000000001_3300000000000002"
IG_MEDIA = "18021000000000101"


def lookup(ids, graph=None, cfg=None, sleeps=None):
    cfg = cfg or make_cfg()
    sleeps = [] if sleeps is None else sleeps
    return list(fb.fetch_posts(cfg, ids, graph or fb.make_graph(cfg), sleep=sleeps.append))


def by_id(*pages: str) -> dict:
    """A multi-id answer, keyed by id, built from the items of fixture pages."""
    items = [item for name in pages for item in body(name)["data"]]
    return {item["id"]: item for item in items}


def asked_ids(call) -> list[str]:
    return query(call)["ids"].split(",")


def answer_asked(found: dict, missing: frozenset = frozenset()):
    """A callback that answers each ``?ids=`` request like Graph does."""
    def reply(request):
        ids = parse_qs(urlsplit(request.url).query)["ids"][0].split(",")
        if missing & set(ids):
            bad = sorted(missing & set(ids))[0]
            message = (f"Unsupported get request. Object with ID '{bad}' does not exist, cannot"
                       " be loaded due to missing permissions, or does not support this operation")
            return 400, {}, json.dumps(graph_error(100, 33, message))
        return 200, {}, json.dumps({i: found[i] for i in ids})
    return reply


def test_lookup_batches_of_50_and_pages_without_cursor(api):
    ids = [f"{PAGE}_33000000000{n:05d}" for n in range(120)]
    found = {i: {**body("feed_p1.json")["data"][1], "id": i} for i in ids}
    api.add_callback(responses.GET, GRAPH, callback=answer_asked(found),
                     content_type="application/json")
    records = lookup(ids + ids[:3])  # a repeated id is asked once
    assert [len(asked_ids(c)) for c in api.calls] == [50, 50, 20]
    assert [i for c in api.calls for i in asked_ids(c)] == ids
    assert {path(c) for c in api.calls} == {"/v19.0"}
    assert [len(r.data["data"]) for r in records] == [50, 50, 20]
    assert {(r.source, r.kind, r.cursor_after) for r in records} == {("facebook", "graph_page",
                                                                     None)}
    assert records[0].origin.startswith(f"{GRAPH}?ids={PAGE}_")
    assert TOKEN not in records[0].origin and "fields" not in records[0].origin


@pytest.mark.parametrize(("ids", "fields"), [
    ([FB_POST], fb.FEED_FIELDS),
    ([IG_MEDIA], fb.IG_FIELDS),
])
def test_lookup_fields_by_platform(api, ids, fields):
    found = by_id("feed_p1.json", "ig_recent_p1.json")
    api.add_callback(responses.GET, GRAPH, callback=answer_asked(found),
                     content_type="application/json")
    lookup(ids)
    assert query(api.calls[0])["fields"] == fields


def test_lookup_asks_facebook_and_instagram_apart(api):
    found = by_id("feed_p1.json", "ig_recent_p1.json")
    api.add_callback(responses.GET, GRAPH, callback=answer_asked(found),
                     content_type="application/json")
    lookup([IG_MEDIA, FB_POST, "18021000000000102"])
    asked = [(asked_ids(c), query(c)["fields"]) for c in api.calls]
    assert asked == [([FB_POST], fb.FEED_FIELDS),
                     ([IG_MEDIA, "18021000000000102"], fb.IG_FIELDS)]
    assert "like_count" in fb.IG_FIELDS and "reactions" not in fb.IG_FIELDS


def test_lookup_pages_normalize_into_posts_with_fresh_metrics(api):
    from cqfriends.normalize.facebook import normalize_page
    from cqfriends.normalize.post import NormalizeOptions

    found = by_id("feed_p1.json", "ig_recent_p1.json")
    found[FB_POST]["reactions"]["summary"]["total_count"] = 400
    found[FB_POST]["shares"]["count"] = 9
    found[IG_MEDIA]["like_count"] = 250
    api.add_callback(responses.GET, GRAPH, callback=answer_asked(found),
                     content_type="application/json")
    records = lookup([FB_POST, IG_MEDIA])
    batches = [normalize_page(r, NormalizeOptions()) for r in records]
    assert [(b.errors, b.warnings) for b in batches] == [([], []), ([], [])]
    posts = {p.source_id: p for b in batches for p in b.posts}
    assert (posts[FB_POST].source, posts[FB_POST].metrics.likes,
            posts[FB_POST].metrics.shares, posts[FB_POST].metrics.comments) == (
        "facebook", 400, 9, 18)
    assert (posts[IG_MEDIA].source, posts[IG_MEDIA].metrics.likes,
            posts[IG_MEDIA].metrics.comments) == ("instagram", 250, 14)


@pytest.mark.parametrize("error", [
    graph_error(100, 33, "Unsupported get request. Object with ID 'x' does not exist"),
    graph_error(803, message="(#803) Some of the aliases you requested do not exist: x"),
])
def test_deleted_id_is_skipped_and_the_others_kept(api, caplog, error):
    gone = f"{PAGE}_3300000000000009"
    found = by_id("feed_p1.json")
    kept = list(found)
    api.get(GRAPH, json=error, status=400)  # the whole batch fails for one id
    for one in (kept[0], gone, kept[1]):
        api.get(GRAPH, **({"json": error, "status": 400} if one == gone
                          else {"json": {one: found[one]}}))
    caplog.set_level("WARNING", logger="cqfriends.collectors.facebook")
    sleeps: list[float] = []
    [record] = lookup([kept[0], gone, kept[1]], sleeps=sleeps)
    assert [item["id"] for item in record.data["data"]] == kept
    assert [asked_ids(c) for c in api.calls] == [[kept[0], gone, kept[1]], [kept[0]], [gone],
                                                [kept[1]]]
    assert sleeps == []  # a missing object is not retried
    assert gone in caplog.text and "skipped" in caplog.text and TOKEN not in caplog.text


def test_a_batch_where_every_id_is_gone_yields_an_empty_page(api):
    found = by_id("feed_p1.json")
    api.add_callback(responses.GET, GRAPH,
                     callback=answer_asked(found, missing=frozenset(found)),
                     content_type="application/json")
    [record] = lookup(list(found))
    assert record.data == {"data": []} and len(api.calls) == 3


def test_lookup_sends_appsecret_proof(api):
    found = by_id("feed_p1.json", "ig_recent_p1.json")
    api.add_callback(responses.GET, GRAPH, callback=answer_asked(found),
                     content_type="application/json")
    lookup([FB_POST, IG_MEDIA])
    want = hmac.new(SECRET.encode(), TOKEN.encode(), hashlib.sha256).hexdigest()
    assert [query(c)["appsecret_proof"] for c in api.calls] == [want, want]


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80001])
def test_lookup_rate_limit_raises(api, code):
    api.get(GRAPH, json=graph_error(code), status=400)
    with pytest.raises(RateLimited):
        lookup([FB_POST, IG_MEDIA])
    assert len(api.calls) == 1  # not retried, not split id by id


def test_lookup_rate_limit_while_asking_id_by_id_raises(api):
    api.get(GRAPH, json=graph_error(100, 33), status=400)
    api.get(GRAPH, json=graph_error(17), status=400)
    with pytest.raises(RateLimited):
        lookup([FB_POST, f"{PAGE}_3300000000000001"])
    assert len(api.calls) == 2


def test_lookup_expired_token_is_an_auth_error(api):
    api.get(GRAPH, json=graph_error(190, 463), status=400)
    with pytest.raises(AuthError):
        lookup([FB_POST])
    assert len(api.calls) == 1


def test_lookup_of_nothing_asks_nothing(api):
    assert lookup([]) == [] and len(api.calls) == 0
