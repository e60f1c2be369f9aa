"""Pure mapping of raw platform data to ``Post``: no I/O, no clock."""

from __future__ import annotations

from cqfriends.normalize.post import Batch, NormalizeOptions, RawRecord


def normalize_record(record: RawRecord, options: NormalizeOptions) -> Batch:
    """Dispatch a collector's record to its platform's normalizer."""
    if record.source == "twitter":
        from cqfriends.normalize import twitter
        return twitter.normalize_page(record, options)
    if record.source == "facebook":
        from cqfriends.normalize import facebook
        return facebook.normalize_page(record, options)
    if record.source == "douyin":
        from cqfriends.normalize import douyin
        return douyin.normalize_item(record, options)
    raise ValueError(f"no normalizer for source {record.source!r}")
