"""Where a download may go: http(s) only, and never a private, loopback or link-local address.

The check is made on the address a connection is actually opened to: every
connection (each redirect hop, each new host) resolves its host name here,
refuses it when any of its addresses is not public, and connects to the very
address it checked, so a DNS answer that changes between check and connect
(rebinding) cannot slip through.  ``media.allow_private_hosts`` lifts the
address rule (the tests' local server); the scheme rule always holds.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from cqfriends.errors import CqfError

SCHEMES = ("http", "https")
Resolver = Callable[[str, int], list[str]]


class UnsafeURL(CqfError):
    """A URL the archive must not fetch (scheme, or an address that is not public)."""


class Unresolvable(CqfError):
    """The host name did not resolve (now: a DNS outage passes, so it may be retried)."""


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (literal addresses stay as they are)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as e:
        raise Unresolvable(f"cannot resolve host {host!r}: {e}") from e
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def is_public(address: str) -> bool:
    """True for a globally routable unicast address (not private, loopback, link-local...)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return ip.is_global and not ip.is_multicast


@dataclass(frozen=True)
class AddressPolicy:
    allow_private: bool = False
    resolver: Resolver = field(default=resolve)

    def check_url(self, url: str) -> None:
        """Refuse a URL whose scheme is not http(s) or that names no host."""
        parts = urlsplit(url)
        if parts.scheme.lower() not in SCHEMES:
            raise UnsafeURL(f"only http and https links are fetched, not {parts.scheme or '?'}:")
        if not parts.hostname:
            raise UnsafeURL("the link names no host")
        try:
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError as e:
            raise UnsafeURL(f"bad port in link: {e}") from e

    def addresses(self, host: str, port: int) -> list[str]:
        """The addresses to connect to for ``host``; UnsafeURL when one is not public."""
        found = self.resolver(host, port)
        if not found:
            raise Unresolvable(f"host {host!r} has no address")
        if not self.allow_private:
            blocked = [a for a in found if not is_public(a)]
            if blocked:
                raise UnsafeURL(f"host {host!r} is a private, loopback or link-local address "
                                f"({blocked[0]}); not fetched")
        return found


def guarded_connection(base: type, policy: AddressPolicy) -> type:
    """A urllib3 connection class that connects only to addresses ``policy`` allows."""

    def _new_conn(self: Any) -> socket.socket:
        from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

        last: OSError | None = None
        for address in policy.addresses(self._dns_host.rstrip("."), self.port):
            try:
                sock = socket.create_connection((address, self.port), self.timeout,
                                                source_address=self.source_address)
            except OSError as e:
                last = e
                continue
            for option in self.socket_options or ():
                sock.setsockopt(*option)
            peer = sock.getpeername()[0]
            if not policy.allow_private and not is_public(str(peer)):
                sock.close()
                raise UnsafeURL(f"connected to a private address ({peer}); not fetched")
            return sock
        if isinstance(last, TimeoutError):
            raise ConnectTimeoutError(self, f"connection to {self.host} timed out")
        raise NewConnectionError(self, f"cannot connect to {self.host}: {last}")

    return type(f"Guarded{base.__name__}", (base,), {"_new_conn": _new_conn})
