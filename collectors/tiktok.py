"""TikTok export files -> ``RawRecord``: ``cqf import tiktok FILE...``.

Zeeschuimer's TikTok captures (NDJSON), TikTok web-API pages (``itemList``) and
4CAT's or Zeeschuimer's TikTok CSV.  They are read by the same reader as the
Douyin exports (``collectors.douyin.read_export``), which tells the two platforms
apart by content; here a record that does not say which it is counts as TikTok.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from cqfriends.collectors.douyin import read_export as read_short_video_export
from cqfriends.normalize.post import RawRecord

SOURCE = "tiktok"


def read_export(path: Path, *, column_aliases: dict[str, str] | None = None
                ) -> Iterator[RawRecord]:
    """Every item/row of one TikTok export (Douyin records in it stay Douyin's)."""
    return read_short_video_export(path, column_aliases=column_aliases, default_source=SOURCE)
