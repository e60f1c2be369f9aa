"""Downloading one file: guarded connections, redirects checked hop by hop, limits while streaming.

``Fetcher.download(url, max_bytes=...)`` follows at most ``MAX_REDIRECTS``
redirects itself (each hop's URL is checked, and its connection goes through
``guard``), refuses a body larger than ``max_bytes`` as soon as the header or
the stream says so, and gives up on a transfer that takes longer than
``TRANSFER_FACTOR`` × ``media.timeout_seconds`` (each connect and each read has
``timeout_seconds`` on its own).  The body is hashed as it arrives and kept in a
spooled temporary file (memory up to ``SPOOL_BYTES``, then disk).

Failures raise ``FetchFailed``: ``expired`` for 403/404/410 (a platform link whose
signature ran out: worth one fresh look-up), ``transient`` for timeouts,
connection errors, 408/429 and 5xx (worth a later retry), else permanent.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import urljoin

import requests
from requests.adapters import HTTPAdapter

from cqfriends.errors import CqfError
from cqfriends.media.guard import AddressPolicy, Unresolvable, UnsafeURL, guarded_connection

MAX_REDIRECTS = 5
CHUNK = 256 * 1024
SPOOL_BYTES = 32 * 1024 * 1024
TRANSFER_FACTOR = 30  # a whole transfer may take this many times timeout_seconds
USER_AGENT = "cqfriends-media/0.2 (campaign archive)"
EXPIRED = (403, 404, 410)
TRANSIENT = (408, 425, 429, 500, 502, 503, 504)


class FetchFailed(CqfError):
    """A download that did not give us a file; ``reason`` is what a moderator reads."""

    def __init__(self, reason: str, *, status: int | None = None, transient: bool = False,
                 expired: bool = False):
        self.reason, self.status = reason, status
        self.transient, self.expired = transient, expired
        super().__init__(reason)


@dataclass
class Download:
    body: IO[bytes]  # positioned at 0; the caller closes it
    size: int
    sha256: str
    url: str  # after redirects
    content_type: str  # what the server said (recorded, never trusted)


class GuardedAdapter(HTTPAdapter):
    """An HTTPAdapter whose connections are opened only to addresses the policy allows."""

    def __init__(self, policy: AddressPolicy, **kwargs: Any):
        self.policy = policy
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        from urllib3.connection import HTTPConnection, HTTPSConnection
        from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

        super().init_poolmanager(*args, **kwargs)
        plain = type("GuardedHTTPPool", (HTTPConnectionPool,),
                     {"ConnectionCls": guarded_connection(HTTPConnection, self.policy)})
        tls = type("GuardedHTTPSPool", (HTTPSConnectionPool,),
                   {"ConnectionCls": guarded_connection(HTTPSConnection, self.policy)})
        self.poolmanager.pool_classes_by_scheme = {"http": plain, "https": tls}


def make_session(policy: AddressPolicy, pool_size: int = 8) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxy or .netrc from the environment: we connect ourselves
    session.headers.update({"User-Agent": USER_AGENT, "Accept": "image/*,video/*;q=0.9,*/*;q=0.1"})
    adapter = GuardedAdapter(policy, pool_connections=pool_size, pool_maxsize=pool_size,
                             max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class Fetcher:
    """Downloads with one policy, one connection pool and the archive's time limits."""

    def __init__(self, policy: AddressPolicy, *, timeout: float, pool_size: int = 8):
        self.policy, self.timeout = policy, timeout
        self.session = make_session(policy, pool_size)

    def close(self) -> None:
        self.session.close()

    def download(self, url: str, *, max_bytes: int) -> Download:
        deadline = time.monotonic() + self.timeout * TRANSFER_FACTOR
        response = self._follow(url)
        try:
            return self._read(response, max_bytes=max_bytes, deadline=deadline)
        finally:
            response.close()

    def _follow(self, url: str) -> requests.Response:
        for _ in range(MAX_REDIRECTS + 1):
            try:
                self.policy.check_url(url)
            except UnsafeURL as e:
                raise FetchFailed(str(e)) from e
            response = self._get(url)
            location = response.headers.get("Location")
            if response.status_code in (301, 302, 303, 307, 308) and location:
                response.close()
                url = urljoin(url, location)
                continue
            if response.status_code != 200:
                response.close()
                raise _http_failure(response.status_code)
            return response
        raise FetchFailed(f"more than {MAX_REDIRECTS} redirects")

    def _get(self, url: str) -> requests.Response:
        try:
            return self.session.get(url, stream=True, allow_redirects=False,
                                    timeout=(self.timeout, self.timeout))
        except UnsafeURL as e:
            raise FetchFailed(str(e)) from e
        except Unresolvable as e:
            raise FetchFailed(str(e), transient=True) from e
        except requests.Timeout as e:
            raise FetchFailed("timed out connecting or waiting for the server",
                              transient=True) from e
        except requests.ConnectionError as e:
            if isinstance(_root(e), UnsafeURL):
                raise FetchFailed(str(_root(e))) from e
            raise FetchFailed(f"connection failed: {type(_root(e)).__name__}",
                              transient=True) from e
        except requests.RequestException as e:
            raise FetchFailed(f"bad link: {type(e).__name__}") from e

    def _read(self, response: requests.Response, *, max_bytes: int, deadline: float
              ) -> Download:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise FetchFailed(f"too large: {int(declared) / 1e6:.1f} MB, the limit is "
                              f"{max_bytes / 1e6:.0f} MB")
        body = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - returned
        digest, size = hashlib.sha256(), 0
        try:
            for chunk in response.iter_content(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise FetchFailed(f"too large: more than {max_bytes / 1e6:.0f} MB")
                if time.monotonic() > deadline:
                    raise FetchFailed("the transfer took too long", transient=True)
                digest.update(chunk)
                body.write(chunk)
        except requests.RequestException as e:
            body.close()
            raise FetchFailed(f"download interrupted: {type(e).__name__}", transient=True) from e
        except BaseException:
            body.close()
            raise
        if size == 0:
            body.close()
            raise FetchFailed("the server sent an empty file")
        body.seek(0)
        return Download(body, size, digest.hexdigest(), response.url,
                        response.headers.get("Content-Type", "")[:100])


def _http_failure(status: int) -> FetchFailed:
    if status in EXPIRED:
        return FetchFailed(f"HTTP {status} (the link has expired or the file is gone)",
                           status=status, expired=True)
    return FetchFailed(f"HTTP {status}", status=status,
                       transient=status in TRANSIENT or status >= 500)


def _root(error: BaseException) -> BaseException:
    """The innermost cause of a wrapped requests/urllib3 error."""
    seen = error
    while True:
        nxt = seen.__cause__ or seen.__context__
        if nxt is None and seen.args and isinstance(seen.args[0], BaseException):
            nxt = seen.args[0]
        if nxt is None or nxt is seen:
            return seen
        seen = nxt
