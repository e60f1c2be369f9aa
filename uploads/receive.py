"""The plain form (``POST /upload``, multipart) read as it arrives: the file straight to disk.

Starlette's own form parser has no size limit for files: a 10 GB body would be
spooled whole before a route could refuse it.  Here the body is fed chunk by
chunk to python-multipart's parser; the file part goes to a file in the spool
folder and the count is checked on every chunk, so an oversize upload stops
at the limit (413) having written at most that much.  Text fields are capped too.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from cqfriends.i18n.translate import msg
from cqfriends.uploads.errors import TooLarge, UploadRefused

MAX_FIELD_BYTES = 20_000
MAX_FIELDS = 40


@dataclass
class Received:
    fields: dict[str, str] = field(default_factory=dict)
    file: Path | None = None  # the file part in the spool folder (caller removes it)
    file_size: int = 0


class _Parts:
    """python-multipart callbacks: fields into memory (capped), the file onto disk."""

    def __init__(self, spool: Path, max_file: int):
        self.spool, self.max_file = spool, max_file
        self.got = Received()
        self.header_name = b""
        self.headers: dict[bytes, bytes] = {}
        self.name, self.value, self.out = "", bytearray(), None

    def on_part_begin(self) -> None:
        self.headers, self.name, self.value, self.out = {}, "", bytearray(), None

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        name = self.header_name.lower()
        self.headers[name] = self.headers.get(name, b"") + data[start:end]

    def on_header_end(self) -> None:
        self.header_name = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.headers.get(b"content-disposition", b""))
        self.name = options.get(b"name", b"").decode("utf-8", "replace")
        if self.name == "file" and b"filename" in options and self.got.file is None:
            fd, path = tempfile.mkstemp(dir=self.spool, prefix="form-")
            self.out = os.fdopen(fd, "wb")
            self.got.file = Path(path)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.out is not None:
            self.got.file_size += end - start
            if self.got.file_size > self.max_file:
                raise TooLarge(msg("the file is larger than %(mb)s MB",
                                   mb=f"{self.max_file / 1e6:g}"))
            self.out.write(data[start:end])
            return
        self.value += data[start:end]
        if len(self.value) > MAX_FIELD_BYTES:
            raise UploadRefused(msg("the field %(name)s is too long", name=self.name[:40]))

    def on_part_end(self) -> None:
        if self.out is not None:
            self.out.close()
            self.out = None
        elif self.name and self.name not in self.got.fields:
            if len(self.got.fields) >= MAX_FIELDS:
                raise UploadRefused(msg("too many form fields"))
            self.got.fields[self.name] = self.value.decode("utf-8", "replace")

    def close(self) -> None:
        if self.out is not None:
            self.out.close()


async def receive_form(chunks: AsyncIterator[bytes], content_type: str, *, spool: Path,
                       max_file: int) -> Received:
    """Parse a multipart body; the file part (field ``file``) lands in ``spool``."""
    kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise UploadRefused(msg("send the form as multipart/form-data"))
    spool.mkdir(parents=True, exist_ok=True)
    parts = _Parts(spool, max_file)
    callbacks = {name: getattr(parts, name) for name in (
        "on_part_begin", "on_header_field", "on_header_value", "on_header_end",
        "on_headers_finished", "on_part_data", "on_part_end")}
    parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
    try:
        async for chunk in chunks:
            parser.write(chunk)
        parser.finalize()
    except BaseException as e:
        parts.close()
        if parts.got.file is not None:
            parts.got.file.unlink(missing_ok=True)
        if isinstance(e, MultipartParseError):
            raise UploadRefused(msg("the form could not be read")) from e
        raise
    return parts.got
