"""Posts' media archived for export tests: the real archive, its downloads answered offline.

``archive_all(engine, settings)`` runs ``media.archive.Archive`` with every link served
from memory: ``files`` (link -> bytes) first, else a real JPEG made from the link (an
``.mp4`` link gets a real MP4), so nothing touches the network.  Links in ``missing``
answer 404, as an expired Meta CDN link does.
"""

from __future__ import annotations

import hashlib
import io
from functools import lru_cache

from sqlalchemy.engine import Engine

from cqfriends.media.archive import Archive, MediaSummary
from cqfriends.media.fetch import Download, FetchFailed
from cqfriends.settings import Settings
from tests.media import files as made

EXPIRED = "HTTP 403 (the link has expired or the file is gone)"


@lru_cache(maxsize=8)
def clip(seed: int = 0) -> bytes:
    return made.mp4(seconds=2.0, seed=seed)


def body_for(url: str) -> bytes:
    seed = int(hashlib.sha256(url.encode()).hexdigest()[:4], 16) % 50 + 1
    return clip(seed % 5) if ".mp4" in url else made.jpeg(960, 720, seed=seed)


class OfflineArchive(Archive):
    def __init__(self, settings: Settings, engine: Engine, files: dict[str, bytes],
                 missing: set[str]):
        super().__init__(settings, engine)
        self.files, self.missing = files, missing

    def _download(self, item):  # type: ignore[no-untyped-def]
        if not item.url.lower().startswith(("http://", "https://")):  # as the guard does
            raise FetchFailed("only http and https links are fetched")
        if item.url in self.missing:
            raise FetchFailed(EXPIRED, status=403)
        data = self.files.get(item.url) or body_for(item.url)
        return item.url, Download(io.BytesIO(data), len(data), hashlib.sha256(data).hexdigest(),
                                  item.url, "application/octet-stream")


def archive_all(engine: Engine, settings: Settings, files: dict[str, bytes] | None = None,
                missing: set[str] | None = None) -> MediaSummary:
    return OfflineArchive(settings, engine, files or {}, missing or set()).run()
