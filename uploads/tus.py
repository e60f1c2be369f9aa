"""Resumable uploads, tus 1.0 (core + creation + termination), kept in the spool folder.

A transfer is two files under ``<spool>/tus/``: ``<id>.json`` (declared length,
metadata, who started it and when) and ``<id>.bin`` (the bytes so far: its size
is the offset).  The id is 32 random bytes: knowing it is what allows appending.
PATCH appends at exactly the current offset (else 409), never past the declared
length; a transfer is locked while one request appends, so two connections of
the same client cannot interleave.  Transfers not finished within ``EXPIRES``
are deleted.  Nothing here is served back.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cqfriends.i18n.translate import msg
from cqfriends.uploads.errors import TooLarge, TooMany, UploadRefused

VERSION = "1.0.0"
EXTENSIONS = "creation,termination"
EXPIRES = 24 * 3600
ID = re.compile(r"^[A-Za-z0-9_-]{43}$")
MAX_METADATA = 4096


class Conflict(UploadRefused):
    http_status = 409


class Gone(UploadRefused):
    http_status = 404


@dataclass(frozen=True)
class Transfer:
    id: str
    length: int
    offset: int
    metadata: dict[str, str]
    created: float


def folder(spool: Path) -> Path:
    path = spool / "tus"
    path.mkdir(parents=True, exist_ok=True)
    return path


def parse_metadata(header: str) -> dict[str, str]:
    """``Upload-Metadata``: comma-separated ``key base64value`` pairs."""
    if len(header) > MAX_METADATA:
        raise UploadRefused(msg("the upload's metadata is too long"))
    found = {}
    for pair in filter(None, (p.strip() for p in header.split(","))):
        key, _, value = pair.partition(" ")
        try:
            found[key[:64]] = base64.b64decode(value, validate=True).decode("utf-8")[:500]
        except (binascii.Error, ValueError) as e:  # ValueError: non-ASCII text
            raise UploadRefused(msg("the upload's metadata is not valid")) from e
    return found


def create(spool: Path, *, length: int, max_bytes: int, metadata: str, client: str,
           max_active: int) -> Transfer:
    """A new transfer; at most ``max_active`` unfinished ones per client address."""
    if length < 1:
        raise UploadRefused(msg("Upload-Length must be a positive number"))
    if length > max_bytes:
        raise TooLarge(msg("the file is larger than %(mb)s MB", mb=f"{max_bytes / 1e6:g}"))
    where = folder(spool)
    sweep(where)
    if sum(1 for state in _states(where) if state.get("client") == client) >= max_active:
        raise TooMany(msg("finish or cancel your other uploads first"), retry_after=600)
    transfer_id = secrets.token_urlsafe(32)
    state = {"length": length, "metadata": parse_metadata(metadata), "client": client,
             "created": time.time()}
    (where / f"{transfer_id}.bin").touch(0o600)
    _write_state(where / f"{transfer_id}.json", state)
    return Transfer(transfer_id, length, 0, state["metadata"], state["created"])


def _write_state(path: Path, state: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state), encoding="utf-8")
    os.replace(tmp, path)


def _states(where: Path) -> list[dict[str, Any]]:
    found = []
    for path in where.glob("*.json"):
        try:
            found.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    return found


def get(spool: Path, transfer_id: str) -> Transfer:
    if not ID.match(transfer_id):
        raise Gone(msg("no such upload"))
    where = folder(spool)
    try:
        state = json.loads((where / f"{transfer_id}.json").read_text(encoding="utf-8"))
        offset = (where / f"{transfer_id}.bin").stat().st_size
    except (OSError, ValueError) as e:
        raise Gone(msg("no such upload (finished, cancelled or expired)")) from e
    if time.time() - state["created"] > EXPIRES:
        remove(spool, transfer_id)
        raise Gone(msg("no such upload (finished, cancelled or expired)"))
    return Transfer(transfer_id, int(state["length"]), offset, state.get("metadata", {}),
                    state["created"])


class Appender:
    """One PATCH: holds the transfer's lock, writes chunks at the end, never past its length."""

    def __init__(self, spool: Path, transfer_id: str, offset: int):
        self.transfer = get(spool, transfer_id)
        self.path = folder(spool) / f"{transfer_id}.bin"
        self.handle = self.path.open("ab")
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            self.handle.close()
            raise Conflict(msg("this upload is being sent on another connection")) from e
        self.offset = os.fstat(self.handle.fileno()).st_size
        if offset != self.offset:
            self.close()
            raise Conflict(msg("Upload-Offset %(got)s does not match %(have)s", got=offset,
                               have=self.offset))

    def write(self, chunk: bytes) -> None:
        if self.offset + len(chunk) > self.transfer.length:
            raise TooLarge(msg("more bytes than the Upload-Length declared"))
        self.handle.write(chunk)
        self.offset += len(chunk)

    def close(self) -> None:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()  # the lock goes with it


def finished_file(spool: Path, transfer_id: str) -> Path:
    """The complete file of a transfer, for the form that follows it."""
    if not transfer_id:
        raise UploadRefused(msg("choose a file to upload"))
    transfer = get(spool, transfer_id)
    if transfer.offset != transfer.length:
        raise UploadRefused(msg("the upload is not complete yet"))
    return folder(spool) / f"{transfer_id}.bin"


def remove(spool: Path, transfer_id: str) -> None:
    if ID.match(transfer_id):
        for suffix in (".json", ".bin"):
            (folder(spool) / f"{transfer_id}{suffix}").unlink(missing_ok=True)


def forget(spool: Path, transfer_id: str) -> None:
    remove(spool, transfer_id)


def sweep(where: Path, now: float | None = None) -> int:
    """Delete transfers older than EXPIRES; how many."""
    now = now if now is not None else time.time()
    gone = 0
    for path in where.glob("*.json"):
        try:
            created = json.loads(path.read_text(encoding="utf-8"))["created"]
        except (OSError, ValueError, KeyError):
            created = 0
        if now - created > EXPIRES:
            path.unlink(missing_ok=True)
            path.with_suffix(".bin").unlink(missing_ok=True)
            gone += 1
    return gone
