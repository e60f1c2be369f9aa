"""Where archived files live: one small interface, a local folder or an S3-compatible bucket.

Keys are content addresses, the same in both backends (so ``aws s3 sync`` of the
folder is a valid bucket): ``originals/ab/<sha256>`` for the fetched file and
``derived/ab/<sha256>/<name>.<ext>`` for what was made from it.  The content type
is never inferred from a key: the database holds it (``media_item.mime``,
``derived[name].type``) and the backends are told it when a file is written.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Protocol

from cqfriends.errors import ConfigError, NotFound
from cqfriends.settings import Settings

KEY = re.compile(r"^(originals|derived)/[0-9a-f]{2}/[0-9a-f]{64}(/[a-z]+\.[a-z0-9]+)?$")
READ_CHUNK = 256 * 1024


def original_key(sha256: str) -> str:
    return f"originals/{sha256[:2]}/{sha256}"


def derived_key(sha256: str, name: str, extension: str) -> str:
    return f"derived/{sha256[:2]}/{sha256}/{name}.{extension}"


def check_key(key: str) -> str:
    if not KEY.match(key):
        raise NotFound(f"not an archive key: {key!r}")
    return key


class MediaStore(Protocol):
    """What the archive needs of a backend."""

    description: str

    def put(self, key: str, body: IO[bytes] | bytes, content_type: str) -> None: ...
    def exists(self, key: str) -> bool: ...
    def size(self, key: str) -> int | None: ...
    def read(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]: ...
    def delete(self, keys: Iterable[str]) -> int: ...
    def keys(self) -> Iterator[tuple[str, int]]: ...


class LocalStore:
    """Files under one folder; each written to a temporary name, then renamed (atomic)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.description = f"folder {self.root}"

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, body: IO[bytes] | bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as out:
                if isinstance(body, bytes | bytearray):
                    out.write(body)
                else:
                    shutil.copyfileobj(body, out, READ_CHUNK)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int | None:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            return None

    def read(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Bytes ``start`` to ``end`` (inclusive; None: to the end), in chunks."""
        try:
            handle = self._path(key).open("rb")
        except FileNotFoundError as e:
            raise NotFound(f"not in the archive: {key}") from e
        return _chunks(handle, start, end)

    def delete(self, keys: Iterable[str]) -> int:
        removed = 0
        for key in keys:
            path = self._path(key)
            try:
                path.unlink()
                removed += 1
            except FileNotFoundError:
                continue
            _prune(path.parent, self.root)
        return removed

    def keys(self) -> Iterator[tuple[str, int]]:
        for top in ("originals", "derived"):
            for path in sorted((self.root / top).rglob("*")):
                if path.is_file() and not path.name.startswith("."):
                    yield path.relative_to(self.root).as_posix(), path.stat().st_size


def _chunks(handle: IO[bytes], start: int, end: int | None) -> Iterator[bytes]:
    with handle:
        handle.seek(start)
        left = None if end is None else end - start + 1
        while left is None or left > 0:
            chunk = handle.read(READ_CHUNK if left is None else min(READ_CHUNK, left))
            if not chunk:
                return
            if left is not None:
                left -= len(chunk)
            yield chunk


def _prune(folder: Path, root: Path) -> None:
    """Remove empty folders left by a deletion, up to (not including) the root."""
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def open_store(settings: Settings) -> MediaStore:
    """The backend ``media.store`` names: the folder ``media.dir``, or an S3 bucket."""
    media = settings.media
    return store_for(media.store or media.dir, media.endpoint_url)


def store_for(where: str, endpoint_url: str | None = None) -> MediaStore:
    """``s3://bucket/prefix`` (through ``endpoint_url``), or a local folder."""
    if where.startswith("s3://"):
        from cqfriends.media.s3 import S3Store

        bucket, _, prefix = where[len("s3://"):].partition("/")
        if not bucket:
            raise ConfigError([f"media.store: no bucket in {where!r}"])
        return S3Store(bucket, prefix, endpoint_url=endpoint_url)
    if "://" in where:
        raise ConfigError([f"media.store: unknown store {where!r}; use s3://bucket/prefix"])
    return LocalStore(where)


def copy_all(source: MediaStore, target: MediaStore,
             on_file: Callable[[], None] | None = None) -> tuple[int, int]:
    """Copy every file of ``source`` missing (or of another size) in ``target``: (copied, kept).

    Content types are not carried over: the database holds them, and /media serves by it.
    """
    copied = kept = 0
    for key, size in source.keys():
        if target.size(key) == size:
            kept += 1
        else:
            stream = io.BufferedReader(_Joined(source.read(key)), READ_CHUNK)
            target.put(key, stream, "application/octet-stream")
            copied += 1
        if on_file:
            on_file()
    return copied, kept


class _Joined(io.RawIOBase):
    """A readable file over an iterator of chunks (for streaming one store into another)."""

    def __init__(self, chunks: Iterator[bytes]):
        self.chunks, self.left = chunks, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self.left:
            self.left = next(self.chunks, b"")
            if not self.left:
                return 0
        n = min(len(buffer), len(self.left))
        buffer[:n], self.left = self.left[:n], self.left[n:]
        return n
