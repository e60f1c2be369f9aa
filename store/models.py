"""Database tables (SQLModel).  Only ``store/`` opens sessions on them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Field, SQLModel

# JSONB on PostgreSQL (indexable, compact), plain JSON text on SQLite.
JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

POST_STATUSES = ("collected", "pending", "approved", "rejected", "duplicate", "removed")
ROLES = ("admin", "moderator", "manager", "webteam")


class UTCDateTime(sa.types.TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend.

    SQLite has no time zone type; storing naive UTC and re-attaching UTC on
    the way out keeps comparisons and ordering right on both databases.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ts(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


def _json(default: Any) -> Any:
    return Field(default_factory=default, sa_type=JSONType, nullable=False)


class PostRow(SQLModel, table=True):
    __tablename__ = "post"
    __table_args__ = (
        sa.UniqueConstraint("source", "source_id", name="uq_post_source_id"),
        sa.Index("ix_post_status_created", "status", "created_at"),
        sa.Index("ix_post_author", "source", "author_id"),
        # The moderation queue: pending posts by engagement, or filtered by language/source.
        sa.Index("ix_post_queue_engagement", "status", sa.text("(likes + comments + shares)")),
        sa.Index("ix_post_queue_lang", "status", "lang", "created_at"),
        sa.Index("ix_post_queue_source", "status", "source", "created_at"),
        # Exports page through approved posts in id order (migration 0004).
        sa.Index("ix_post_status_id", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=16)
    source_id: str = Field(max_length=128)
    url: str = ""
    author_id: str = Field(default="", max_length=128)
    author_name: str = ""
    author_handle: str = ""
    author_url: str = ""
    text: str = ""
    platform_lang: str | None = Field(default=None, max_length=16)
    lang: str | None = Field(default=None, max_length=16, index=True)
    lang_confidence: float | None = None
    hashtags: list[str] = _json(list)
    mentions: list[str] = _json(list)
    media: list[dict[str, Any]] = _json(list)
    created_at: datetime = _ts(nullable=False)
    collected_at: datetime = _ts(nullable=False)
    updated_at: datetime = _ts(nullable=False)
    likes: int = Field(default=0, sa_type=sa.BigInteger)
    comments: int = Field(default=0, sa_type=sa.BigInteger)
    shares: int = Field(default=0, sa_type=sa.BigInteger)
    views: int = Field(default=0, sa_type=sa.BigInteger)
    is_repost: bool = False
    repost_of: str | None = Field(default=None, max_length=160)
    # Moderation state: never written by a collection of the same post.
    status: str = Field(default="collected", max_length=16)
    duplicate_of: str | None = Field(default=None, max_length=160, index=True)
    flags: list[dict[str, str]] = _json(list)
    checked_at: datetime | None = _ts()
    section: str | None = Field(default=None, max_length=64)
    featured: bool = False
    reason: str | None = None
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = _ts()
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = _ts()
    # When this system first stored the post (its collection, for "time to decision");
    # collected_at is the page's own fetch time and moves on every re-collection.
    stored_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True,
                                       sa_column_kwargs={"default": utcnow})
    version: int = 1  # bumped by every moderation change: stale decisions are refused
    changed_at: datetime | None = _ts(index=True)  # last change that exports must mirror
    # Set by a database trigger (migration 0002) whenever an approved post is approved,
    # edited or taken down; commit order == sequence order, so change cursors never skip.
    change_seq: int | None = Field(default=None, sa_type=sa.BigInteger, index=True)
    raw: dict[str, Any] = _json(dict)

    @property
    def key(self) -> str:
        return f"{self.source}:{self.source_id}"


class MetricSnapshot(SQLModel, table=True):
    __tablename__ = "metric_snapshot"

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", index=True, ondelete="CASCADE")
    taken_at: datetime = _ts(nullable=False)
    likes: int = Field(default=0, sa_type=sa.BigInteger)
    comments: int = Field(default=0, sa_type=sa.BigInteger)
    shares: int = Field(default=0, sa_type=sa.BigInteger)
    views: int = Field(default=0, sa_type=sa.BigInteger)


class ChangeCounter(SQLModel, table=True):
    """The last change sequence number handed out (one row per counter name)."""

    __tablename__ = "change_counter"

    name: str = Field(primary_key=True, max_length=32)
    value: int = Field(default=0, sa_type=sa.BigInteger)


class SourceState(SQLModel, table=True):
    """Per source: where the next collection starts and whether it may run."""

    __tablename__ = "source_state"

    source: str = Field(primary_key=True, max_length=32)
    cursor: dict[str, Any] = _json(dict)
    state: str = Field(default="ok", max_length=16)  # ok | rate_limited | broken
    reset_at: datetime | None = _ts()
    token_fingerprint: str | None = Field(default=None, max_length=64)
    last_success_at: datetime | None = _ts()
    last_error: str | None = None
    last_error_at: datetime | None = _ts()


class CollectorRun(SQLModel, table=True):
    __tablename__ = "collector_run"

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=32, index=True)
    started_at: datetime = _ts(nullable=False)
    finished_at: datetime | None = _ts()
    fetched: int = 0
    new: int = 0
    updated: int = 0
    bad: int = 0
    error: str | None = None
    # The process running it (migration 0007): a new leader closes a run left open only
    # when that process is dead.
    host: str | None = Field(default=None, max_length=255)
    pid: int | None = None

    @property
    def holder(self) -> str | None:
        return f"{self.host}:{self.pid}" if self.host and self.pid else None


class ImportedFile(SQLModel, table=True):
    __tablename__ = "imported_file"

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64, unique=True)
    name: str
    source: str = Field(max_length=16)
    imported_at: datetime = _ts(nullable=False)
    read: int = 0
    new: int = 0
    updated: int = 0
    bad: int = 0


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    role: str = Field(max_length=16)
    password_hash: str
    created_at: datetime = _ts(nullable=False)
    disabled: bool = False
    locale: str | None = Field(default=None, max_length=16)  # console language; None: browser's


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(nullable=False, index=True)
    actor: str = Field(max_length=64, index=True)
    action: str = Field(max_length=32, index=True)
    post_id: int | None = Field(default=None, index=True)
    post_key: str | None = Field(default=None, max_length=160)
    section: str | None = None
    reason: str | None = None
    previous_status: str | None = None
    new_status: str | None = None
    detail: dict[str, Any] = _json(dict)


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = _ts(nullable=False)
    created_by: str | None = None
    revoked_at: datetime | None = _ts()
    last_used_at: datetime | None = _ts()


class LoginSession(SQLModel, table=True):
    """A console login; the cookie holds a random token whose SHA-256 is ``id``.

    Logging out deletes the row, a password change or deactivation deletes all of
    the user's rows: the cookie then opens nothing, however long it was meant to live.
    """

    __tablename__ = "login_session"

    id: str = Field(primary_key=True, max_length=64)
    username: str = Field(max_length=64, index=True)
    created_at: datetime = _ts(nullable=False)
    expires_at: datetime = _ts(nullable=False)
    client: str = Field(default="", max_length=64)


class AuthorRule(SQLModel, table=True):
    """A moderator's block or trust of one account: ``author_key`` is an id or ``@handle``.

    Keyed by (source, author_key) so a rule names exactly one account on one
    platform; the rules of config.yaml (rules.blocked_authors/allowed_authors) apply too.
    """

    __tablename__ = "author_rule"
    __table_args__ = (sa.UniqueConstraint("source", "author_key", name="uq_author_rule"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=16)
    author_key: str = Field(max_length=128)
    rule: str = Field(max_length=8)  # block | trust
    label: str = ""  # name and handle when the rule was made, for people reading the list
    note: str | None = None
    created_by: str = Field(max_length=64)
    created_at: datetime = _ts(nullable=False)


class LoginFailure(SQLModel, table=True):
    __tablename__ = "login_failure"
    __table_args__ = (sa.Index("ix_login_failure_pair", "username", "client", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, index=True)
    client: str = Field(default="", max_length=64)
    at: datetime = _ts(nullable=False)


class DedupKey(SQLModel, table=True):
    """Blocking keys of the persistent near-duplicate index (text bands, media ids).

    One index, (key, post_id), and no foreign key: about a dozen rows per post are
    written and only ever looked up by key (migration 0012 says why).
    """

    __tablename__ = "dedup_key"
    __table_args__ = (sa.Index("ix_dedup_key_key_post", "key", "post_id"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64)
    post_id: int


class LangCache(SQLModel, table=True):
    __tablename__ = "lang_cache"

    text_hash: str = Field(primary_key=True, max_length=64)
    lang: str = Field(max_length=16)
    confidence: float = 0.0


class AuthorConsent(SQLModel, table=True):
    __tablename__ = "author_consent"
    __table_args__ = (sa.UniqueConstraint("source", "author_id", name="uq_consent_author"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=16)
    author_id: str = Field(max_length=128)
    recorded_at: datetime = _ts(nullable=False)
    recorded_by: str | None = None
    note: str | None = None


class SchedulerHeartbeat(SQLModel, table=True):
    __tablename__ = "scheduler_heartbeat"

    name: str = Field(primary_key=True, max_length=32)
    holder: str = Field(max_length=128)
    started_at: datetime = _ts(nullable=False)
    beat_at: datetime = _ts(nullable=False)


class MediaItem(SQLModel, table=True):
    """One photo or video of a post in our archive (media/): what was fetched and made of it.

    A post's media item ``position`` (its index in ``post.media``) has up to two rows:
    ``preview`` (a photo itself, or a video's cover image: what the queue shows) and
    ``full`` (the photo or the video file: what the outputs show).  Files are stored
    by the SHA-256 of their content, so two rows with the same ``sha256`` share them.
    """

    __tablename__ = "media_item"
    __table_args__ = (
        sa.UniqueConstraint("post_id", "position", "role", name="uq_media_item"),
        sa.Index("ix_media_item_state_retry", "state", "retry_at"),
        sa.Index("ix_media_item_sha256", "sha256"),
        sa.Index("ix_media_item_url_hash", "url_hash"),
        sa.Index("ix_media_item_phash", "phash"),
    )

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", index=True, ondelete="CASCADE")
    position: int = 0
    role: str = Field(max_length=8)  # preview | full
    media_type: str = Field(max_length=8)  # what the post says: photo | video | gif
    url: str = ""  # the URL fetched (a refreshed one after an expired link)
    url_hash: str = Field(default="", max_length=64)  # sha256 of url: reuse without fetching
    # due | fetching | retry | archived | failed | removed
    state: str = Field(default="due", max_length=12)
    attempts: int = 0
    claimed_until: datetime | None = _ts()
    retry_at: datetime | None = _ts()
    fetched_at: datetime | None = _ts()  # the last attempt
    refreshed: bool = False  # the URL came from a fresh look-up at the platform
    sha256: str | None = Field(default=None, max_length=64)
    kind: str | None = Field(default=None, max_length=8)  # what the content is: photo|gif|video
    mime: str | None = Field(default=None, max_length=48)
    container: str | None = Field(default=None, max_length=32)  # JPEG, PNG, mp4 ...
    codec: str | None = Field(default=None, max_length=32)
    size_bytes: int | None = Field(default=None, sa_type=sa.BigInteger)
    width: int | None = None
    height: int | None = None
    duration_ms: int | None = None
    reason: str | None = None  # why it failed (or is waiting for a retry)
    derived: dict[str, Any] = _json(dict)  # name -> {key, type, width, height, bytes}
    phash: str | None = Field(default=None, max_length=16)  # imagehash.phash, hex


class UploadRow(SQLModel, table=True):
    """A participant's upload on the campaign page (uploads/): its post, consent, contact.

    ``email`` and ``client`` are personal data: shown to admins only, never exported,
    and set to NULL on withdrawal and ``uploads.retention_days`` after the campaign.
    The receipt code is never stored, only its SHA-256 (``receipt_hash``).
    """

    __tablename__ = "upload"
    __table_args__ = (sa.Index("ix_upload_client_created", "client", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    post_id: int | None = Field(default=None, foreign_key="post.id", index=True,
                                ondelete="CASCADE")
    receipt_hash: str = Field(max_length=64, unique=True)
    participant: str = Field(max_length=32, index=True)  # the post's author id (no e-mail in it)
    section: str = Field(max_length=64)
    title: str = ""
    description: str = ""
    credit_name: str = ""
    country: str = ""
    email: str | None = None
    client: str | None = Field(default=None, max_length=64)
    consent_site: bool = True
    consent_led: bool = False
    consent_feeds: bool = False
    terms_version: str = Field(max_length=16)
    created_at: datetime = _ts(nullable=False, index=True)
    withdrawn_at: datetime | None = _ts()
    contact_deleted_at: datetime | None = _ts()
    file_sha256: str = Field(default="", max_length=64)
    kind: str = Field(default="", max_length=8)  # photo | video
class Person(SQLModel, table=True):
    """One participant behind one or more accounts (person_account), for draws and reports."""

    __tablename__ = "person"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = _ts(nullable=False)


class PersonAccount(SQLModel, table=True):
    """An account (source, id or @handle) linked to a person, by the checks or a moderator."""

    __tablename__ = "person_account"
    __table_args__ = (sa.UniqueConstraint("source", "author_key", name="uq_person_account"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    source: str = Field(max_length=16)
    author_key: str = Field(max_length=128)
    label: str = ""  # name and handle when linked, for people reading the panel
    linked_by: str = Field(max_length=64)  # "checks" or the moderator's user name
    score: float = 0.0
    linked_at: datetime = _ts(nullable=False)


class IdentityAnswer(SQLModel, table=True):
    """A moderator's answer to "same person?" for two accounts; it beats the heuristic."""

    __tablename__ = "identity_answer"
    __table_args__ = (sa.UniqueConstraint("account_a", "account_b", name="uq_identity_answer"),)

    id: int | None = Field(default=None, primary_key=True)
    account_a: str = Field(max_length=150)  # "source:key", the smaller of the two
    account_b: str = Field(max_length=150)
    answer: str = Field(max_length=12)  # same | different
    actor: str = Field(max_length=64)
    at: datetime = _ts(nullable=False)
