"""Posts: idempotent batched upserts keyed on (source, source_id), and listings."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from cqfriends.normalize.post import Post
from cqfriends.store.models import MetricSnapshot, PostRow, utcnow

# Columns a later collection of the same post may refresh.  Moderation state
# (status, section, flags, claims ...) is deliberately absent.
CONTENT_COLUMNS = ("url", "author_name", "author_handle", "author_url", "text", "platform_lang",
                   "hashtags", "mentions", "media", "is_repost", "repost_of", "raw")
METRIC_COLUMNS = ("likes", "comments", "shares", "views")


@dataclass
class UpsertResult:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    # (source, source_id) -> "new" | "updated" | "unchanged", for the caller's file counts
    outcomes: dict[tuple[str, str], str] = field(default_factory=dict)

    def __iadd__(self, other: UpsertResult) -> UpsertResult:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.outcomes.update(other.outcomes)
        return self


def post_values(post: Post) -> dict[str, Any]:
    """The row for a normalized post, as plain column values."""
    m = post.metrics
    return {
        "source": post.source, "source_id": post.source_id, "url": post.url,
        "author_id": post.author.id, "author_name": post.author.name,
        "author_handle": post.author.handle, "author_url": post.author.url,
        "text": post.text, "platform_lang": post.lang, "hashtags": list(post.hashtags),
        "mentions": list(post.mentions), "media": [x.to_dict() for x in post.media],
        "created_at": post.created_at, "collected_at": post.collected_at,
        "likes": m.likes, "comments": m.comments, "shares": m.shares, "views": m.views,
        "is_repost": post.is_repost, "repost_of": post.repost_of, "raw": post.raw,
    }


def upsert_posts(*, session: Session, posts: Sequence[Post]) -> UpsertResult:
    """Insert new posts, refresh metrics and content of known ones, snapshot changed metrics.

    Idempotent: the same batch twice changes nothing the second time.  The caller
    commits; one call is one batch (a few hundred posts keeps memory flat).
    """
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for post in posts:  # the same post twice in a batch: the later (or newer edit) wins
        key, values = (post.source, post.source_id), post_values(post)
        if key not in latest or edit_rank(values["raw"]) >= edit_rank(latest[key]["raw"]):
            latest[key] = values
    if not latest:
        return UpsertResult()
    existing = _existing_rows(session, list(latest))
    result = UpsertResult()
    now = utcnow()
    fresh = [v for k, v in latest.items() if k not in existing]
    if fresh:
        for values in fresh:
            values.update(updated_at=now, changed_at=now)
        inserted = _insert_ignoring_conflicts(session, fresh)
        result.new += len(inserted)
        result.outcomes.update(dict.fromkeys(inserted, "new"))
        _snapshot(session, [(pid, latest[k]) for k, pid in inserted.items()])
    changed_metrics: list[tuple[int, dict[str, Any]]] = []
    for key, row in existing.items():
        values = latest[key]
        changes = {c: values[c] for c in CONTENT_COLUMNS + METRIC_COLUMNS if row[c] != values[c]}
        if not changes or edit_rank(values["raw"]) < edit_rank(row["raw"]):
            result.unchanged += 1  # an earlier version of an edited post never wins
            result.outcomes[key] = "unchanged"
            continue
        changes["updated_at"] = now
        changes["collected_at"] = max(row["collected_at"], values["collected_at"])
        session.execute(sa.update(PostRow).where(PostRow.id == row["id"]).values(**changes))
        result.updated += 1
        result.outcomes[key] = "updated"
        if any(c in changes for c in METRIC_COLUMNS):
            changed_metrics.append((row["id"], values))
    _snapshot(session, changed_metrics)
    return result


def edit_rank(raw: Any) -> int:
    """The version of an edited post a payload holds (normalize.twitter sets it); 0 if none."""
    rank = raw.get("edit_rank") if isinstance(raw, dict) else None
    return rank if isinstance(rank, int) and not isinstance(rank, bool) else 0


def _existing_rows(
    session: Session, keys: list[tuple[str, str]], columns: tuple[Any, ...] | None = None,
) -> dict[tuple[str, str], Any]:
    columns = columns or (PostRow.id, PostRow.collected_at,
                          *(getattr(PostRow, c) for c in CONTENT_COLUMNS + METRIC_COLUMNS))
    cols = [PostRow.source, PostRow.source_id, *columns]
    found: dict[tuple[str, str], Any] = {}
    by_source: dict[str, list[str]] = {}
    for source, source_id in keys:
        by_source.setdefault(source, []).append(source_id)
    for source, ids in by_source.items():
        for start in range(0, len(ids), 500):
            stmt = sa.select(*cols).where(col(PostRow.source) == source,
                                          col(PostRow.source_id).in_(ids[start:start + 500]))
            for row in session.execute(stmt).mappings():
                found[(row["source"], row["source_id"])] = row
    return found


def _insert_ignoring_conflicts(
    session: Session, rows: list[dict[str, Any]]
) -> dict[tuple[str, str], int]:
    """Insert rows; one that a concurrent writer inserted first is left to it.

    A plain executemany and one look-up of the new ids is several times faster
    than INSERT ... RETURNING, which the drivers run in small slices.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(PostRow.__table__).on_conflict_do_nothing(  # type: ignore[attr-defined]
        index_elements=["source", "source_id"])
    before = {k: None for k in ((r["source"], r["source_id"]) for r in rows)}
    session.connection().execute(stmt, rows)
    found = _existing_rows(session, list(before), columns=(PostRow.id, PostRow.updated_at))
    # Rows a concurrent writer inserted keep that writer's updated_at: not ours to count.
    stamp = rows[0]["updated_at"]
    return {k: r["id"] for k, r in found.items() if r["updated_at"] == stamp}


def _snapshot(session: Session, rows: list[tuple[int, dict[str, Any]]]) -> None:
    if rows:
        session.execute(sa.insert(MetricSnapshot), [
            {"post_id": pid, "taken_at": v["collected_at"],
             **{c: v[c] for c in METRIC_COLUMNS}} for pid, v in rows])


def list_posts(
    *, session: Session, source: str | None = None, status: str | None = None,
    batch: int = 1000,
) -> Iterator[PostRow]:
    """Every matching post, oldest first, streamed in keyset batches."""
    last_id = 0
    while True:
        stmt = (select(PostRow).where(col(PostRow.id) > last_id).order_by(col(PostRow.id))
                .limit(batch))
        if source:
            stmt = stmt.where(PostRow.source == source)
        if status:
            stmt = stmt.where(PostRow.status == status)
        rows = session.exec(stmt).all()
        yield from rows
        if len(rows) < batch:
            return
        last_id = rows[-1].id  # type: ignore[assignment]
        session.expunge_all()


def get_post(*, session: Session, key: str) -> PostRow | None:
    source, _, source_id = key.partition(":")
    return session.exec(select(PostRow).where(
        PostRow.source == source, PostRow.source_id == source_id)).first()


def count_posts(*, session: Session, status: str | None = None) -> int:
    stmt = sa.select(sa.func.count()).select_from(PostRow)
    if status:
        stmt = stmt.where(col(PostRow.status) == status)
    return int(session.execute(stmt).scalar_one())


def post_public_dict(row: PostRow) -> dict[str, Any]:
    """The JSON shape of ``cqf posts --format jsonl`` (a contract: keys are kept)."""
    return {
        "key": row.key, "source": row.source, "source_id": row.source_id, "url": row.url,
        "author_id": row.author_id, "author_name": row.author_name,
        "author_handle": row.author_handle, "author_url": row.author_url, "text": row.text,
        "lang": row.lang or row.platform_lang, "lang_confidence": row.lang_confidence,
        "hashtags": row.hashtags, "mentions": row.mentions,
        "media": [{"type": m.get("type"), "url": m.get("url", ""),
                   "preview_url": m.get("preview_url", ""),
                   "duration_ms": m.get("duration_ms")} for m in row.media],
        "created_at": _iso(row.created_at), "collected_at": _iso(row.collected_at),
        "metrics": {c: getattr(row, c) or 0 for c in METRIC_COLUMNS},
        "is_repost": row.is_repost, "repost_of": row.repost_of,
        "duplicate_of": row.duplicate_of, "flags": row.flags, "status": row.status,
        "section": row.section, "featured": row.featured,
    }


def _iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def iter_batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
