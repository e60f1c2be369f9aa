"""A virus scan through clamd's unix socket (``uploads.clamd_socket``), INSTREAM protocol.

``zINSTREAM\\0``, then the file as chunks each prefixed by its length (4 bytes,
big-endian), then a zero-length chunk; clamd answers ``stream: OK`` or
``stream: <name> FOUND``.  The socket is that of Debian's clamav-daemon
(``/var/run/clamav/clamd.ctl``); its StreamMaxLength (25 MB by default) must be
raised for videos, else clamd answers "INSTREAM size limit exceeded".
"""

from __future__ import annotations

import socket
import struct
from pathlib import Path

from cqfriends.i18n.translate import msg
from cqfriends.uploads.errors import NotAccepted, UploadRefused

CHUNK = 256 * 1024
TIMEOUT = 120


def scan(path: Path, socket_path: str) -> str | None:
    """The name of what clamd found in the file, or None when it is clean."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(TIMEOUT)
        try:
            conn.connect(socket_path)
            conn.sendall(b"zINSTREAM\0")
            with path.open("rb") as body:
                while chunk := body.read(CHUNK):
                    conn.sendall(struct.pack(">I", len(chunk)) + chunk)
            conn.sendall(struct.pack(">I", 0))
            answer = _read_answer(conn)
        except OSError as e:
            raise UploadRefused(msg("the virus scanner cannot be reached; try again later")
                                ) from e
    if answer.endswith("OK"):
        return None
    if answer.endswith("FOUND"):
        return answer.removeprefix("stream:").removesuffix("FOUND").strip()
    raise UploadRefused(msg("the virus scanner refused the file: %(why)s", why=answer[:200]))


def _read_answer(conn: socket.socket) -> str:
    data = b""
    while not data.endswith(b"\0"):
        part = conn.recv(4096)
        if not part:
            break
        data += part
    return data.rstrip(b"\0").decode("utf-8", "replace").strip()


def refuse_infected(path: Path, socket_path: str | None) -> None:
    if not socket_path:
        return
    found = scan(path, socket_path)
    if found:
        raise NotAccepted(msg("the file carries a virus (%(name)s) and was not taken",
                              name=found))
