"""Downloads: only http(s), never a private address (any hop), limits while streaming, timeouts.

No test here connects anywhere but 127.0.0.1: every refused address is refused
before a socket is opened (``no_connection`` fails the test if one would be).
"""

from __future__ import annotations

import socket

import pytest

from cqfriends.media import guard
from cqfriends.media.fetch import Fetcher, FetchFailed
from cqfriends.media.guard import AddressPolicy, is_public
from tests.media import files
from tests.media.server import Route

REFUSED = [
    "http://127.0.0.1/a.jpg", "http://127.8.9.10/a.jpg", "http://localhost/a.jpg",
    "http://10.1.2.3/a.jpg", "http://172.16.5.4/a.jpg", "http://172.31.255.254/a.jpg",
    "http://192.168.1.1/a.jpg", "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/a.jpg", "http://[fc00::1]/a.jpg", "http://[fd12:3456::1]/a.jpg",
    "http://[fe80::1]/a.jpg", "http://[::ffff:127.0.0.1]/a.jpg", "http://[::ffff:10.0.0.1]/",
    "http://0.0.0.0/a.jpg", "http://2130706433/a.jpg", "http://0x7f000001/a.jpg",
    "http://127.1/a.jpg", "https://10.0.0.1/a.jpg", "http://224.0.0.1/a.jpg",
]
BAD_SCHEMES = ["ftp://example.com/a.jpg", "file:///etc/passwd", "gopher://example.com/",
               "javascript:alert(1)", "data:image/png;base64,iVBORw0KGgo=", "//example.com/a",
               "http:///a.jpg", "http://example.com:99999/a.jpg"]


@pytest.fixture
def no_connection(monkeypatch):
    """Fail if a socket to anything but the test's own 127.0.0.1 server would be opened."""
    opened: list[tuple[str, int]] = []
    real = socket.create_connection

    def connect(address, *args, **kwargs):
        opened.append(address)
        if address[0] != "127.0.0.1":
            raise AssertionError(f"a connection to {address} was attempted")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(guard.socket, "create_connection", connect)
    return opened


def fetcher(allow_private: bool = False, **policy) -> Fetcher:
    return Fetcher(AddressPolicy(allow_private=allow_private, **policy), timeout=2.0)


@pytest.mark.parametrize("url", REFUSED)
def test_private_loopback_and_link_local_addresses_are_refused(url, no_connection):
    with pytest.raises(FetchFailed, match="private, loopback or link-local") as info:
        fetcher().download(url, max_bytes=1000)
    assert not info.value.transient and no_connection == []


@pytest.mark.parametrize("url", BAD_SCHEMES)
def test_only_http_and_https_links_are_fetched(url, no_connection):
    with pytest.raises(FetchFailed, match="only http and https|names no host|port"):
        fetcher().download(url, max_bytes=1000)
    assert no_connection == []


@pytest.mark.parametrize("answers", [["127.0.0.1"], ["93.184.216.34", "10.0.0.8"], ["::1"]])
def test_a_name_resolving_to_a_private_address_is_refused(answers, no_connection):
    policy = {"resolver": lambda host, port: answers}
    with pytest.raises(FetchFailed, match="private, loopback or link-local"):
        fetcher(**policy).download("https://cdn.example.com/a.jpg", max_bytes=1000)
    assert no_connection == []


@pytest.fixture
def loopback_is_public(monkeypatch):
    """Our 127.0.0.1 server stands in for a public CDN; every other private address stays."""
    monkeypatch.setattr(guard, "is_public", lambda a: a == "127.0.0.1" or is_public(a))


@pytest.mark.parametrize("target", ["http://10.0.0.7/x.jpg", "http://169.254.169.254/latest/",
                                    "http://[::1]:8080/x", "http://192.168.0.10/x.jpg",
                                    "http://127.0.0.2/x.jpg", "file:///etc/passwd"])
def test_a_redirect_to_a_private_address_or_other_scheme_is_refused(
        target, media_server, loopback_is_public, no_connection):
    start = media_server.redirect("/go", target)
    with pytest.raises(FetchFailed) as info:
        fetcher().download(start, max_bytes=1000)
    assert "private" in info.value.reason or "only http and https" in info.value.reason
    assert {host for host, _ in no_connection} == {"127.0.0.1"}


def test_the_resolved_address_of_every_hop_is_checked(media_server, loopback_is_public,
                                                      no_connection):
    """A second hop whose name resolves to a private address is refused at connect time."""
    names = {"cdn.example.com": ["127.0.0.1"], "inner.example.com": ["10.9.8.7"]}
    policy = {"resolver": lambda host, port: names.get(host) or guard.resolve(host, port)}
    media_server.redirect("/go", "http://inner.example.com/secret")
    start = f"http://cdn.example.com:{media_server.port}/go"
    with pytest.raises(FetchFailed, match="10.9.8.7"):
        fetcher(**policy).download(start, max_bytes=1000)
    assert media_server.hits == ["/go"]


def test_redirects_within_bounds_are_followed(media_server):
    data = files.jpeg(200, 100)
    media_server.add("/final.jpg", data)
    media_server.redirect("/b", "/final.jpg", 301)
    media_server.redirect("/a", media_server.url("/b"), 307)
    got = fetcher(allow_private=True).download(media_server.url("/a"), max_bytes=10**6)
    assert got.body.read() == data and got.url.endswith("/final.jpg") and got.size == len(data)


def test_a_redirect_loop_ends(media_server):
    media_server.redirect("/loop", "/loop")
    with pytest.raises(FetchFailed, match="redirects"):
        fetcher(allow_private=True).download(media_server.url("/loop"), max_bytes=1000)


@pytest.mark.parametrize("chunked", [False, True])
def test_the_size_limit_holds_while_streaming(media_server, chunked):
    url = media_server.add("/big.jpg", b"\xff" * 3_000_000, chunked=chunked)
    with pytest.raises(FetchFailed, match="too large") as info:
        fetcher(allow_private=True).download(url, max_bytes=1_000_000)
    assert not info.value.transient


@pytest.mark.parametrize(("status", "expired", "transient"), [
    (403, True, False), (404, True, False), (410, True, False), (400, False, False),
    (429, False, True), (500, False, True), (503, False, True)])
def test_http_errors_say_whether_a_fresh_link_or_a_retry_may_help(media_server, status,
                                                                  expired, transient):
    media_server.routes["/x.jpg"] = Route(b"no", status, "text/plain")
    with pytest.raises(FetchFailed) as info:
        fetcher(allow_private=True).download(media_server.url("/x.jpg"), max_bytes=1000)
    assert (info.value.status, info.value.expired, info.value.transient) == (
        status, expired, transient)


def test_a_server_that_does_not_answer_times_out_and_may_be_retried(media_server):
    url = media_server.add("/slow.jpg", b"late", delay=3.0)
    slow = Fetcher(AddressPolicy(allow_private=True), timeout=0.5)
    with pytest.raises(FetchFailed, match="timed out") as info:
        slow.download(url, max_bytes=1000)
    assert info.value.transient


def test_an_empty_answer_is_a_failure(media_server):
    url = media_server.add("/empty.jpg", b"")
    with pytest.raises(FetchFailed, match="empty"):
        fetcher(allow_private=True).download(url, max_bytes=1000)
