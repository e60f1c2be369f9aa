"""The engagement report: per day (campaign time zone) and per platform.

``build_report`` reads rows from ``store.reports`` and aggregates them here in
Python so days follow the campaign zone on every database.  "authors" counts
people: accounts linked to one person (store/identity.py) count once.  The same dict
feeds ``cqf report``, the /reports dashboard and the CSV/XLSX downloads.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta
from statistics import median
from typing import Any

from sqlmodel import Session

from cqfriends.export.present import cut, safe_url
from cqfriends.settings import Settings
from cqfriends.store.authors import author_key
from cqfriends.store.identity import all_person_keys
from cqfriends.store.reports import METRICS, iter_metric_growth, iter_report_posts, load_post_texts

COUNTS = ("posts", "authors", "approved", "rejected", "pending", "removed")
PENDING = ("collected", "pending")
TOP = 10


class _Bucket:
    def __init__(self) -> None:
        self.n: Counter[str] = Counter()
        self.authors: set[tuple[str, str] | str] = set()  # people: an account or a person key
        self.growth: Counter[str] = Counter()
        self.waits: list[float] = []  # hours from first seen to decision

    def add(self, row: dict[str, Any], who: tuple[str, str] | str) -> None:
        self.n["posts"] += 1
        self.authors.add(who)
        status = row["status"]
        if status in ("approved", "rejected", "removed"):
            self.n[status] += 1
        elif status in PENDING:
            self.n["pending"] += 1
        for m in METRICS:
            self.n[m] += row[m] or 0

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {c: self.n[c] for c in COUNTS if c != "authors"}
        out["authors"] = len(self.authors)
        out.update({m: self.n[m] for m in METRICS})
        out["growth"] = {m: self.growth[m] for m in METRICS}
        out["decision_hours_median"] = round(median(self.waits), 2) if self.waits else None
        return {k: out[k] for k in (*COUNTS, *METRICS, "growth", "decision_hours_median")}


def day_bounds(since: date | None, until: date | None, settings: Settings
               ) -> tuple[datetime | None, datetime | None]:
    """[start of ``since``, start of the day after ``until``) in the campaign zone."""
    tz = settings.campaign.tz
    start = datetime.combine(since, time(), tz) if since else None
    end = datetime.combine(until + timedelta(days=1), time(), tz) if until else None
    return start, end


def build_report(*, session: Session, settings: Settings, since: date | None = None,
                 until: date | None = None) -> dict[str, Any]:
    """The report of posts created from ``since`` to ``until`` (whole days, campaign zone)."""
    tz = settings.campaign.tz
    start, end = day_bounds(since, until, settings)
    acc = _Accumulator(all_person_keys(session=session))
    for row in iter_report_posts(session=session, start=start, end=end):
        acc.add_post(row, row["created_at"].astimezone(tz).date().isoformat())
    for snap in iter_metric_growth(session=session, start=start, end=end):
        day = snap["at"].astimezone(tz).date().isoformat()
        for bucket in (acc.total, acc.by_day[day], acc.by_source[snap["source"]]):
            bucket.growth.update({m: snap[m] or 0 for m in METRICS})
    top_ids = [i for _, i in sorted(acc.works, key=lambda w: (-w[0], w[1]))[:TOP]]
    texts = load_post_texts(session=session, ids=top_ids)
    totals = acc.total.as_dict()
    return {
        "campaign": settings.campaign.name, "timezone": settings.campaign.timezone,
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "totals": {k: v for k, v in totals.items()
                   if k not in ("growth", "decision_hours_median")},
        "growth": totals["growth"],
        "by_day": [{"day": d, **acc.by_day[d].as_dict()} for d in sorted(acc.by_day)],
        "by_source": [{"source": s, **acc.by_source[s].as_dict()} for s in sorted(acc.by_source)],
        "backlog": totals["pending"],
        "time_to_decision_hours": _spread(acc.waits),
        "top_works": [_top_work(texts[i]) for i in top_ids if i in texts],
        "top_contributors": sorted(acc.contributors.values(), key=_contributor_rank)[:TOP],
        "languages": [{"lang": k, "posts": v} for k, v in
                      sorted(acc.langs.items(), key=lambda kv: (-kv[1], kv[0]))],
    }


class _Accumulator:
    def __init__(self, people: dict[tuple[str, str], str]) -> None:
        self.people = people  # linked accounts -> "person:<id>": "authors" counts people
        self.total = _Bucket()
        self.by_day: defaultdict[str, _Bucket] = defaultdict(_Bucket)
        self.by_source: defaultdict[str, _Bucket] = defaultdict(_Bucket)
        self.langs: Counter[str] = Counter()
        self.waits: list[float] = []
        self.contributors: dict[tuple[str, str], dict[str, Any]] = {}
        self.works: list[tuple[int, int]] = []

    def add_post(self, row: dict[str, Any], day: str) -> None:
        account = (row["source"], author_key(row["author_id"] or "", row["author_handle"] or ""))
        who = self.people.get(account, account)
        for bucket in (self.total, self.by_day[day], self.by_source[row["source"]]):
            bucket.add(row, who)
        self.langs[row["lang"] or row["platform_lang"] or "und"] += 1
        if row["decided_at"] and row["status"] != "collected":
            wait = _hours(row["decided_at"], row["first_seen"])
            self.waits.append(wait)
            for bucket in (self.by_day[day], self.by_source[row["source"]]):
                bucket.waits.append(wait)
        if row["status"] == "approved":
            engagement = sum(row[m] or 0 for m in ("likes", "comments", "shares"))
            self.works.append((engagement, row["id"]))
            _count_contributor(self.contributors, row, engagement)


def _count_contributor(acc: dict[tuple[str, str], dict[str, Any]], row: dict[str, Any],
                       engagement: int) -> None:
    key = (row["source"], row["author_id"] or row["author_handle"])
    entry = acc.setdefault(key, {"source": row["source"],
                                 "author": row["author_handle"] or row["author_name"] or key[1],
                                 "works": 0, "engagement": 0})
    entry["works"] += 1
    entry["engagement"] += engagement


def _contributor_rank(c: dict[str, Any]) -> tuple[int, int, str]:
    return (-c["works"], -c["engagement"], c["author"])


def _top_work(row: dict[str, Any]) -> dict[str, Any]:
    return {"key": f"{row['source']}:{row['source_id']}", "source": row["source"],
            "author": row["author_handle"] or row["author_name"], "url": safe_url(row["url"]),
            "section": row["section"], "text": cut(row["text"] or "", 100),
            **{m: row[m] or 0 for m in METRICS}}


def _hours(later: datetime, earlier: datetime) -> float:
    if earlier.tzinfo is None:  # a coalesce over UTC columns can come back naive on SQLite
        earlier = earlier.replace(tzinfo=UTC)
    return max(0.0, (later - earlier).total_seconds() / 3600)


def _spread(hours: list[float]) -> dict[str, Any]:
    if not hours:
        return {"decided": 0, "median": None, "p90": None}
    ordered = sorted(hours)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    return {"decided": len(ordered), "median": round(median(ordered), 2), "p90": round(p90, 2)}
