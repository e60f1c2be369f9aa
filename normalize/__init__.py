"""Pure mapping of raw platform data to ``Post``: no I/O, no clock."""

from __future__ import annotations

from typing import Any

from cqfriends.errors import BadInput, NormalizeError
from cqfriends.normalize.clean import clean_post
from cqfriends.normalize.post import Batch, NormalizeOptions, Post, RawRecord


def normalize_record(record: RawRecord, options: NormalizeOptions) -> Batch:
    """A collector's record -> its Batch; never raises, whatever the record holds.

    Each platform's normalizer isolates its own items; anything that still escapes
    becomes one error naming the record's file and line, and every post is made
    storable by ``clean_post`` (or becomes an error naming its field).
    """
    if record.kind == "bad":
        return Batch(errors=[record.data])
    try:
        batch = _dispatch(record, options)
    except BadInput as e:
        return Batch(errors=[located(e, record)])
    except Exception as e:  # noqa: BLE001 - one record's surprise must not cost the others
        return Batch(errors=[unexpected(e, record)])
    posts: list[Post] = []
    for post in batch.posts:
        try:
            posts.append(clean_post(post, batch.warnings))
        except NormalizeError as e:
            batch.errors.append(NormalizeError(f"{post.key}: {e.reason}", file=record.origin,
                                               line=record.line, field=e.field))
    batch.posts = posts
    return batch


def _dispatch(record: RawRecord, options: NormalizeOptions) -> Batch:
    if record.source == "twitter":
        from cqfriends.normalize import twitter
        return twitter.normalize_page(record, options)
    if record.source == "facebook":
        from cqfriends.normalize import facebook
        return facebook.normalize_page(record, options)
    if record.source == "douyin":
        from cqfriends.normalize import douyin
        return douyin.normalize_item(record, options)
    if record.source == "tiktok":
        from cqfriends.normalize import tiktok
        return tiktok.normalize_item(record, options)
    raise NormalizeError(f"no normalizer for source {record.source!r}")


def normalize_stored(source: str, raw: Any, *, collected_at: Any,
                     options: NormalizeOptions) -> Post:
    """Re-map a stored ``Post.raw`` with today's normalizers (``cqf renormalize``)."""
    from cqfriends.normalize import douyin, facebook, tiktok, twitter

    mappers = {"twitter": twitter.renormalize, "facebook": facebook.renormalize,
               "instagram": facebook.renormalize, "douyin": douyin.renormalize,
               "tiktok": tiktok.renormalize}
    if source not in mappers:
        raise NormalizeError(f"no normalizer for source {source!r}")
    warnings: list[str] = []
    return clean_post(mappers[source](raw, collected_at=collected_at, options=options), warnings)


def located(error: BadInput, record: RawRecord) -> BadInput:
    """``error`` naming the record's file and line when it does not name its own."""
    if error.file is not None:
        return error
    return type(error)(error.reason, file=record.origin, line=record.line, field=error.field)


def unexpected(error: BaseException, record: RawRecord, field: str | None = None
               ) -> NormalizeError:
    reason = str(error)[:200] or type(error).__name__
    return NormalizeError(f"unusable value ({type(error).__name__}: {reason})",
                          file=record.origin, line=record.line, field=field)
