"""What keeps the public upload form from being flooded, with nothing from a third party.

- Limits: ``uploads.per_address_per_hour`` per client address, ``uploads.per_hour``
  for everyone together (429 with Retry-After).
- Proof of work (``uploads.proof_of_work``): the form carries a challenge signed
  with the server's key; the page's script finds a nonce whose SHA-256 with the
  challenge starts with ``BITS`` zero bits (~65,000 tries: a second or two on a
  phone, real cost for a flood).  Google's reCAPTCHA does not load in mainland
  China; this needs nothing but the page.  Without JavaScript the challenge goes
  unsolved: such an upload is taken only when its address sent nothing in the
  last hour (so a no-JS participant can still take part, once an hour).
- A honeypot field (``website``) that people never see and bots fill in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from datetime import datetime, timedelta

from sqlmodel import Session

from cqfriends.i18n.translate import msg
from cqfriends.settings import Settings
from cqfriends.store.uploads import count_recent
from cqfriends.uploads.errors import TooMany, UploadRefused

BITS = 16
CHALLENGE_SECONDS = 6 * 3600  # a slow participant's form stays valid this long
HONEYPOT = "website"
_used: OrderedDict[str, None] = OrderedDict()  # solved challenges, against replays
USED_KEPT = 100_000


def make_challenge(secret: str, now: float | None = None) -> str:
    """``time.random.signature``: the signature proves we issued it, the time its age."""
    body = f"{int(now if now is not None else time.time())}.{secrets.token_hex(8)}"
    return f"{body}.{_sign(secret, body)}"


def _sign(secret: str, body: str) -> str:
    return hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()[:32]


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte == 0:
            bits += 8
            continue
        return bits + 8 - byte.bit_length()
    return bits


def solve(challenge: str, bits: int = BITS) -> str:
    """What the page's script does (for tests and the benchmark)."""
    nonce = 0
    while leading_zero_bits(hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()) < bits:
        nonce += 1
    return str(nonce)


def solved(secret: str, challenge: str, nonce: str, now: float | None = None) -> bool:
    """Whether ``nonce`` solves a challenge we issued, still fresh, not used before."""
    parts = challenge.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or len(nonce) > 20:
        return False
    body = f"{parts[0]}.{parts[1]}"
    age = (now if now is not None else time.time()) - int(parts[0])
    if not hmac.compare_digest(_sign(secret, body), parts[2]) or not 0 <= age <= \
            CHALLENGE_SECONDS or challenge in _used:
        return False
    digest = hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()
    if leading_zero_bits(digest) < BITS:
        return False
    _used[challenge] = None
    while len(_used) > USED_KEPT:
        _used.popitem(last=False)
    return True


def check_limits(*, session: Session, settings: Settings, client: str, now: datetime,
                 proof: bool) -> None:
    """Refuse (429) an upload over the limits; ``proof``: the challenge was solved."""
    opts = settings.uploads
    hour_ago = now - timedelta(hours=1)
    mine = count_recent(session=session, since=hour_ago, client=client)
    if mine >= opts.per_address_per_hour:
        raise TooMany(msg("too many uploads from your address; try again in an hour"))
    if opts.proof_of_work and not proof and mine:
        raise TooMany(msg("without JavaScript, one upload an hour is taken from each address; "
                          "try again later or with JavaScript on"))
    if count_recent(session=session, since=hour_ago) >= opts.per_hour:
        raise TooMany(msg("the campaign receives too many uploads right now; try again later"),
                      retry_after=600)


def check_honeypot(fields: dict[str, str]) -> None:
    if fields.get(HONEYPOT, "").strip():
        raise UploadRefused(msg("the upload could not be taken"))
