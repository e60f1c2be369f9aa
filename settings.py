"""One typed settings object, loaded from config.yaml plus the environment.

``load_settings(path, environ)`` validates everything at once and raises
``ConfigError`` listing every problem with its key path, so an operator fixes a
broken config in one go.  Secrets appear in config.yaml only as references,
``{$env: NAME}``, resolved here once; they never reach logs (``SecretStr``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import date
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from cqfriends.errors import ConfigError

# The bundled config.yaml (package data).  Its relative paths (the SQLite file, the
# watch folder, the site and LED folders) are taken from the current folder, since
# the installed package's own folder is no place to write.
DEFAULT_CONFIG: Traversable = files("cqfriends") / "config.yaml"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Section(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    name_zh: str = ""


class Campaign(Strict):
    name: str
    hashtags: list[str] = Field(min_length=1)
    douyin_topics: list[str] = []
    timezone: str = "Asia/Shanghai"
    sections: list[Section] = Field(min_length=1)
    reject_reasons: list[str] = ["off-topic", "low-quality", "inappropriate", "spam", "copyright"]
    # The campaign's own accounts ("source:author_id" or "source:@handle"): never draw winners.
    own_accounts: list[str] = []
    # The last day of the campaign (in its time zone): uploads' contact data is deleted
    # uploads.retention_days after it.  None: never by date (only on withdrawal).
    ends: date | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"unknown time zone {value!r}") from e
        return value

    @field_validator("hashtags")
    @classmethod
    def _bare_tags(cls, value: list[str]) -> list[str]:
        return [tag.lstrip("#＃") for tag in value]

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def section_ids(self) -> list[str]:
        return [s.id for s in self.sections]


class Schedule(Strict):
    minutes: float = Field(15, gt=0)
    jitter_seconds: int = Field(60, ge=0)


class TwitterSource(Strict):
    enabled: bool = False
    schedule: Schedule = Schedule(minutes=15)
    bearer_token: SecretStr | None = None
    query: str = "#ChongqingFriends -is:retweet"
    max_results: int = Field(100, ge=10, le=100)
    max_pages: int = Field(10, ge=1)


class FacebookSource(Strict):
    enabled: bool = False
    schedule: Schedule = Schedule(minutes=30)
    access_token: SecretStr | None = None
    app_secret: SecretStr | None = None
    graph_version: str = Field("v19.0", pattern=r"^v\d+\.\d+$")
    pages: list[str] = []
    tagged: bool = True
    instagram_user_id: str | None = None
    instagram_hashtags: list[str] = []
    page_limit: int = Field(50, ge=1, le=100)
    max_pages: int = Field(10, ge=1)


class DouyinSource(Strict):
    enabled: bool = True
    schedule: Schedule = Schedule(minutes=5)
    watch_folder: str = "douyin-inbox"
    # A file is read only once its size, mtime and ctime have not changed for this long.
    settle_seconds: float = Field(30, ge=0)
    # Extra export column headers -> Post field, on top of the built-in aliases.
    column_aliases: dict[str, str] = {}


class Sources(Strict):
    twitter: TwitterSource = TwitterSource()
    facebook: FacebookSource = FacebookSource()
    douyin: DouyinSource = DouyinSource()


class Database(Strict):
    url: str = "sqlite:///cqfriends.db"


class Dedup(Strict):
    threshold: float = Field(88, ge=0, le=100)  # rapidfuzz score for "same text"
    min_chars: int = Field(24, ge=1)  # shorter cleaned text is never a text duplicate
    window_days: int = Field(60, ge=1)
    copy_min_chars: int = Field(40, ge=1)  # shorter captions by different authors: never copies
    cross_post_hours: float = Field(24, gt=0)  # same work on two platforms: same person?


class Languages(Strict):
    reviewable: list[str] = ["zh", "en"]
    min_confidence: float = Field(0.80, ge=0, le=1)
    min_chars: int = Field(8, ge=1)
    workers: int = Field(0, ge=0)  # detection processes; 0 = CPUs - 1, 1 = in-process


class BannedWords(Strict):
    words: list[str] = []
    action: Literal["reject", "hold"] = "hold"


class Spam(Strict):
    max_hashtags: int = 12
    max_mentions: int = 8
    min_chars: int = 3
    max_posts_per_author_per_day: int = 10


class Rules(Strict):
    banned: BannedWords = BannedWords()
    suspect_words: list[str] = []
    blocked_authors: list[str] = []  # keys "source:author_id" or "source:@handle"
    allowed_authors: list[str] = []
    allowed_skip_queue: bool = False
    spam: Spam = Spam()


class Moderation(Strict):
    claim_minutes: int = Field(15, ge=1)
    batch_size: int = Field(10, ge=1, le=200)
    counts_seconds: int = Field(10, ge=0)  # queue day counts recounted at most this often


class Web(Strict):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    secret_key: SecretStr | None = None
    secure_cookies: bool = False
    public_feeds: bool = False
    max_failed_logins: int = Field(5, ge=1)
    # Reverse proxies (addresses or networks) whose X-Forwarded-For names the client.
    trusted_proxies: list[str] = []

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        import ipaddress

        for entry in value:
            try:
                ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError as e:
                raise ValueError(f"{entry!r} is not an IP address or network") from e
        return value

    # The public base URL (https://example.org/cqf) other sites are told about; None:
    # relative paths only, never one built from a request's Host header.
    public_url: str | None = None

    @field_validator("public_url")
    @classmethod
    def _http_base(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not re.match(r"^https?://[^/\s?#]+(/[^\s?#]*)?$", value):
            raise ValueError("must be an http(s) URL without query or fragment")
        return value


class Led(Strict):
    width: int = 1920
    height: int = 1080
    seconds_per_item: int = Field(10, ge=1)
    caption_chars: int = Field(80, ge=10)
    require_consent: bool = False


class Export(Strict):
    site_dir: str = "site"
    led_dir: str = "led"
    page_size: int = Field(24, ge=1)
    # Language of the theme page and the LED signage page (the console follows each user).
    language: Literal["en", "zh-Hans"] = "en"
    led: Led = Led()


class MediaArchive(Strict):
    """The archive of the works' photos and videos (media/)."""

    dir: str = "media"  # the local store, beside the config file
    fetch: Literal["queued", "approved", "off"] = "queued"
    max_photo_mb: float = Field(20, gt=0)
    max_video_mb: float = Field(300, gt=0)
    timeout_seconds: float = Field(20, gt=0)  # connect, and each read
    concurrency: int = Field(4, ge=1, le=64)
    allow_private_hosts: bool = False  # true only for tests and labs: opens SSRF
    store: str = ""  # "": the folder media.dir; s3://bucket/prefix: an S3-compatible bucket
    endpoint_url: str | None = None  # the S3 service, e.g. https://minio.example.org:9000

    @field_validator("store")
    @classmethod
    def _store_url(cls, value: str) -> str:
        value = value.strip()
        if value and not re.match(r"^s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/[^\s]*)?$", value):
            raise ValueError("must be empty (the local folder media.dir) or s3://bucket/prefix")
        return value

    @field_validator("endpoint_url")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        if value and not re.match(r"^https?://\S+$", value):
            raise ValueError("must be an http(s) URL")
        return value or None


class UploadTerms(Strict):
    en: str = ("I made this work and may share it. The organisers may show it on the "
               "campaign's theme page and, if I tick those boxes, on outdoor LED screens and "
               "in feeds to partner sites, with the name I give. I can withdraw it at any time "
               "with my receipt code.")
    zh: str = ("本人是该作品的作者并有权分享。主办方可在活动专题页展示该作品，并在本人勾选时在"
               "户外LED屏幕及合作网站的信息流中展示，署本人提供的名字。本人可随时凭回执码撤回作品。")


class Uploads(Strict):
    """Participants' uploads on the campaign page (uploads/)."""

    enabled: bool = True
    max_video_mb: float = Field(500, gt=0)  # resumable (tus) uploads of videos
    max_plain_mb: float = Field(50, gt=0)  # the plain form (without JavaScript)
    terms: UploadTerms = UploadTerms()
    per_address_per_hour: int = Field(10, ge=1)
    per_hour: int = Field(500, ge=1)  # all addresses together
    proof_of_work: bool = True
    clamd_socket: str | None = None  # e.g. /var/run/clamav/clamd.ctl; None: no virus scan
    retention_days: int = Field(90, ge=0)  # contact data kept this long after campaign.ends
    spool_dir: str = "upload-spool"  # files being received (beside the config file)


class Scheduler(Strict):
    checks_after_collect: bool = True
    metrics_max_age_days: int = Field(7, ge=1)
    metrics_minutes: float = Field(60, gt=0)
    # The leader proves it holds the lock and beats this often; standbys retry as often;
    # a heartbeat older than three of these means its process is gone.
    heartbeat_seconds: float = Field(10, gt=0)


class Settings(Strict):
    campaign: Campaign
    database: Database = Database()
    sources: Sources = Sources()
    dedup: Dedup = Dedup()
    languages: Languages = Languages()
    rules: Rules = Rules()
    moderation: Moderation = Moderation()
    web: Web = Web()
    export: Export = Export()
    media: MediaArchive = MediaArchive()
    uploads: Uploads = Uploads()
    scheduler: Scheduler = Scheduler()
    config_path: str = ""


def load_settings(
    path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Read config.yaml (``path``, else $CQF_CONFIG, else the bundled one) and the environment.

    Relative paths in a config file are relative to its folder; in the bundled one,
    to the current folder.
    """
    environ = os.environ if environ is None else environ
    chosen = path or environ.get("CQF_CONFIG")
    source: Path | Traversable = Path(chosen) if chosen else DEFAULT_CONFIG
    base = Path(chosen).parent if chosen else Path.cwd()
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    except OSError as e:
        raise ConfigError([f"{source}: cannot read ({e.strerror})"]) from e
    except yaml.YAMLError as e:
        raise ConfigError([f"{source}: not valid YAML: {e}"]) from e
    if not isinstance(data, dict):
        raise ConfigError([f"{source}: the top level must be a mapping"])
    from_env: dict[tuple[Any, ...], str] = {}
    data = _resolve_env(data, environ, (), from_env)
    if url := environ.get("CQF_DATABASE_URL"):
        data.setdefault("database", {})["url"] = url
        from_env[("database", "url")] = "CQF_DATABASE_URL"
    data["config_path"] = str(source)
    try:
        settings = Settings.model_validate(data)
    except ValidationError as e:
        problems = [_problem(err, from_env, environ) for err in e.errors()]
        raise ConfigError([f"{source}: {p}" for p in problems]) from None
    return _relative_to(settings, base)


def _resolve_env(node: Any, environ: Mapping[str, str], where: tuple[Any, ...],
                 from_env: dict[tuple[Any, ...], str]) -> Any:
    """Replace every ``{$env: NAME}`` by the variable's value; remember where each went."""
    if isinstance(node, dict):
        if set(node) == {"$env"}:
            from_env[where] = str(node["$env"])
            value = environ.get(str(node["$env"]))
            return value or None  # an unset secret is a disabled capability, not a crash
        return {k: _resolve_env(v, environ, (*where, k), from_env) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve_env(v, environ, (*where, i), from_env) for i, v in enumerate(node)]
    return node


def _problem(err: Any, from_env: dict[tuple[Any, ...], str], environ: Mapping[str, str]) -> str:
    """One validation problem; a value read from the environment is never shown."""
    loc = tuple(err["loc"])
    for where, name in from_env.items():
        if loc[:len(where)] == where:
            return (f"{_key_path(loc)}: the value of the environment variable {name} is not "
                    "valid here (value not shown)")
    text = f"{_key_path(loc)}: {err['msg']}"
    for name in from_env.values():  # belt and braces: a secret quoted by another message
        value = environ.get(name) or ""
        if len(value) >= 4 and value in text:
            text = text.replace(value, f"${name}")
    return text


def _key_path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc) or "(top)"


def _relative_to(settings: Settings, base: Path) -> Settings:
    """Relative paths and SQLite files in config.yaml are relative to its folder."""
    url = settings.database.url
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
        url = prefix + str((base / url[len(prefix):]).resolve())
    douyin = settings.sources.douyin
    folder = str((base / douyin.watch_folder).resolve())
    sources = settings.sources.model_copy(
        update={"douyin": douyin.model_copy(update={"watch_folder": folder})})
    export = settings.export.model_copy(update={
        "site_dir": str((base / settings.export.site_dir).resolve()),
        "led_dir": str((base / settings.export.led_dir).resolve())})
    media = settings.media.model_copy(update={"dir": str((base / settings.media.dir).resolve())})
    uploads = settings.uploads.model_copy(
        update={"spool_dir": str((base / settings.uploads.spool_dir).resolve())})
    return settings.model_copy(update={
        "database": Database(url=url), "sources": sources, "export": export, "media": media,
        "uploads": uploads})
