"""Export rows (CSV, XLSX, flat JSON records) -> field values: shared by Douyin and TikTok.

A ``HeaderTable`` names, per Post field, the header spellings the tools really
write, best first: when a file has two headers for one field (4CAT's
``unix_timestamp`` and ``timestamp``), the better-ranked one is used.  Config
``column_aliases`` rank above all of them.  Values are parsed by the helpers here
(counts with 万/w/k, local times, ids that must never pass through a float).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from cqfriends.errors import BadInput, ConfigError

# A record is usable only with something a person can judge it by.
CONTENT_FIELDS = ("text", "created_at", "author_name", "author_handle", "author_id", "sec_uid")
TOO_BIG = 2**63  # a count past the column: clean_post clamps it and warns
_UNITS = {"万": 10_000, "w": 10_000, "千": 1_000, "k": 1_000, "亿": 100_000_000, "m": 1_000_000}
_HASHTAG = re.compile(r"#(\w+)")
_FLOATISH_ID = re.compile(r"^\d+(\.\d*)?[eE][+-]?\d+$|^\d+\.\d*$")
_LIST_SPLIT = re.compile(r"[\s,，;；#\[\]'\"、]+")


@dataclass(frozen=True, eq=False)  # hashed by identity: tables are module constants
class HeaderTable:
    """Header spellings per field (best first) and the field names a config may use."""

    name: str  # the config key: sources.<name>.column_aliases
    aliases: dict[str, tuple[str, ...]]
    synonyms: dict[str, str]

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(self.aliases)

    def expected(self, *fields: str) -> str:
        return ", ".join(h for f in fields for h in self.aliases.get(f, ()))


def fold(header: str) -> str:
    return re.sub(r"[\s_\-\ufeff]+", "", header).casefold()


def map_headers(table: HeaderTable, headers: list[str], aliases: dict[str, str]
                ) -> dict[str, str]:
    """Header -> field for every recognised header (the best-ranked header per field).

    Raises ``ConfigError`` for an alias to an unknown field and ``BadInput`` when
    neither an id-ish nor a description column is recognised.
    """
    return dict(_map_headers(table, tuple(headers), tuple(sorted(aliases.items()))))


@lru_cache(maxsize=128)
def _map_headers(table: HeaderTable, headers: tuple[str, ...],
                 aliases: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    exact, folded = _lookup(table)
    extra: dict[str, str] = {}
    for header, target in aliases:
        field = table.synonyms.get(target, target)
        if field not in table.aliases:
            raise ConfigError([f"sources.{table.name}.column_aliases.{header}: unknown field "
                               f"{target!r}; expected one of {', '.join(table.fields)}"])
        extra[header] = field
    best: dict[str, tuple[int, int, str]] = {}  # field -> (rank, position, header)
    for position, header in enumerate(headers):
        h = (header or "").strip().lstrip("\ufeff")
        if h in extra:
            found: tuple[str, int] | None = (extra[h], -1)
        else:
            found = exact.get(h) or folded.get(fold(h))
        if found and (found[0] not in best or (found[1], position) < best[found[0]][:2]):
            best[found[0]] = (found[1], position, header)
    if not best.keys() & {"id", "text", "url"}:
        raise BadInput("no recognisable columns; expected one of: "
                       f"{table.expected('id', 'text', 'url')}")
    return tuple((header, field) for field, (_, _, header) in best.items())


@lru_cache(maxsize=8)
def _lookup(table: HeaderTable) -> tuple[dict[str, tuple[str, int]], dict[str, tuple[str, int]]]:
    exact: dict[str, tuple[str, int]] = {}
    for field, spellings in table.aliases.items():
        for rank, header in enumerate(spellings):
            exact.setdefault(header, (field, rank))
    folded: dict[str, tuple[str, int]] = {}
    for header, found in exact.items():
        folded.setdefault(fold(header), found)
    if "id" in table.aliases:
        folded["id"] = ("id", 0)
    return exact, folded


def check_content_columns(table: HeaderTable, mapping: dict[str, str]) -> None:
    """``BadInput`` naming the expected columns when no caption, time or author is mapped."""
    if not set(mapping.values()) & set(CONTENT_FIELDS):
        raise BadInput("the columns give no caption, no time and no author; expected one of: "
                       f"{table.expected('text', 'created_at', 'author_name')}")


def parse_count(text: Any) -> int:
    """'1.2万' -> 12000, '3.5w' -> 35000, '10万+' -> 100000, '1,234' -> 1234, '' -> 0.

    A count past the database column comes back as ``TOO_BIG`` (never computed
    digit by digit: '1e999999999' is a count of one billion digits).
    """
    s = str(text if text is not None else "").strip().replace(",", "").replace("，", "")
    s = s.rstrip("+").strip().lower()
    if s in ("", "-", "--", "—", "none", "null", "nan", "n/a", "unknown"):
        return 0
    unit = 1
    if s and s[-1] in _UNITS:
        unit, s = _UNITS[s[-1]], s[:-1].strip()
    try:
        value = Decimal(s) * unit
    except InvalidOperation:
        raise ValueError(f"not a count: {str(text)[:40]!r}") from None
    if value < 0 or not value.is_finite():
        raise ValueError(f"not a count: {str(text)[:40]!r}")
    if value.adjusted() >= 19:
        return TOO_BIG
    return int(value)


_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
                 "%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M",
                 "%Y年%m月%d日", "%Y.%m.%d %H:%M:%S", "%Y.%m.%d %H:%M")


def parse_time(text: Any, tz: Any = None) -> datetime:
    """Epoch s/ms, ISO 8601, or local 'YYYY-MM-DD HH:MM[:SS]' (in ``tz``) -> aware UTC."""
    s = str(text).strip()
    try:
        if re.fullmatch(r"\d{9,13}(\.\d+)?", s):
            value = float(s)
            return datetime.fromtimestamp(value / 1000 if value >= 1e11 else value, UTC)
        parsed = _parse_local(s)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=tz or UTC)
        return parsed.astimezone(UTC)
    except (OverflowError, OSError):
        raise ValueError(f"time out of range: {s[:40]!r}") from None


def _parse_local(s: str) -> datetime:
    try:
        return datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        pass
    for fmt in _TIME_FORMATS:
        try:
            return datetime.strptime(s, fmt)
        except ValueError:
            continue
    raise ValueError(f"not a time: {s[:40]!r}")


def parse_id(text: Any) -> str:
    """An id as a digit string; a float-mangled id ('7.3e+18', '...456.0') is refused."""
    s = str(text).strip().lstrip("'\t").strip()
    if _FLOATISH_ID.match(s):
        raise ValueError(f"id {s[:40]!r} went through a float: precision lost, export ids as text")
    if not s.isdigit() or not s.isascii():
        raise ValueError(f"not a numeric id: {s[:40]!r}")
    return s


def same_number(float_text: str, digits: str) -> bool:
    """Whether a float-mangled id ('7.4327e+18') is what ``digits`` became in a float."""
    try:
        return float(float_text) == float(digits)
    except (ValueError, OverflowError):
        return False


def safe_url(url: Any) -> str:
    """Only http(s) URLs leave; protocol-relative '//x' becomes 'https://x'."""
    u = str(url or "").strip() if isinstance(url, str | int) or url is None else ""
    if u.startswith("//"):
        u = "https:" + u
    return u if re.match(r"https?://[^\s]+$", u, re.I) else ""


def url_list(text: str) -> list[str]:
    """The http(s) URLs of a comma-separated cell (4CAT ``image_urls``, ``mentions``)."""
    return [u for u in (safe_url(p) for p in re.split(r"[,\s]+", text or "")) if u]


def split_tags(text: str) -> list[str]:
    """Tag names of a cell: 'a,b', '#a #b', "['a', 'b']" (TikTokDownloader)."""
    return _LIST_SPLIT.split(text or "")


def hashtags_of(text: str, names: list[str]) -> list[str]:
    tags = [n.lstrip("#").strip().lower() for n in names if n and n.strip("# ")]
    tags += [t.lower() for t in _HASHTAG.findall(text or "")]
    return list(dict.fromkeys(tags))


def duration_ms(text: str | None, *, unit_ms: bool = False) -> int | None:
    """'00:01:05' / '1:05' / '65' / '65秒' (seconds) -> ms; a bare number > 36000 is ms already.

    ``unit_ms``: the column is in milliseconds (4CAT's ``video_duration``).
    """
    s = (text or "").strip().rstrip("s秒").strip()
    try:
        if ":" in s:
            parts = [float(p) for p in s.split(":")]
            seconds = sum(p * 60**i for i, p in enumerate(reversed(parts)))
            return int(timedelta(seconds=seconds).total_seconds() * 1000)
        value = float(s)
    except (ValueError, OverflowError):
        return None
    if not 0 <= value < 10**9:
        return None
    return int(value if unit_ms or value > 36000 else value * 1000)


def row_values(mapping: dict[str, str], row: dict[str, Any]) -> dict[str, str]:
    """field -> the cell's text for every mapped header."""
    values = {}
    for header, field in mapping.items():
        cell = row.get(header)
        values[field] = "" if cell is None else str(cell).strip() if isinstance(
            cell, str | int | float) and not isinstance(cell, bool) else ""
    return values
