"""Queue page and claim times on a database of N posts (default 1,000,000), SQLite and PostgreSQL.

    .venv/bin/python bench/queue.py [--posts 1000000] [--backend sqlite|postgres|both]
                                    [--runs 200] [--pending 0.1] [--pg URL] [--keep]
                                    [--dir DIR]  (SQLite file kept in DIR)
    .venv/bin/python bench/queue.py --url URL    (measure a database kept before)

Fills a fresh database with generated posts (one bulk insert per 20,000 rows;
progress printed), a share of them pending, 50,000 authors and some flagged
and cross-posted.  Then times, in process (server time, no network):

- page: GET /moderation for one of 20 moderators (claims its batch and renders);
- page+filters: GET /moderation?lang=fr&order=engagement;
- page+flag: GET /moderation?flag=suspect-word (a JSON flag filter);
- page, counted: GET /moderation with the per-day counts recounted on every load
  (moderation.counts_seconds = 0; by default they are recounted every 10 s);
- claim: claim_batch of 10 posts for a new moderator each time.

Prints median and p95 in milliseconds; the goal is p95 < 50 ms on both backends.
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named queue.py: keep its folder off sys.path so the standard
# library's ``queue`` (used by asyncio, anyio, logging) is the one imported.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from typing import Any  # noqa: E402

import sqlalchemy as sa  # noqa: E402

from cqfriends.settings import load_settings  # noqa: E402
from cqfriends.store.db import get_engine, migrate  # noqa: E402

SOURCES = ("twitter", "facebook", "instagram", "douyin")
LANGS = ("en", "zh", "fr", "ru", "es", "ja")
START = datetime(2026, 9, 1, tzinfo=UTC)
BATCH = 20_000
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def generate_rows(n: int, pending_share: float) -> Iterator[dict[str, Any]]:
    """Posts over 60 days; the newest ``pending_share`` of them pending, the rest decided."""
    first_pending = int(n * (1 - pending_share))
    now = datetime.now(UTC)
    for i in range(n):
        source = SOURCES[i % len(SOURCES)]
        author = str(i % 50_000)
        created = START + timedelta(seconds=i * 60 * 86400 // max(n, 1))
        pending = i >= first_pending
        status = "pending" if pending else ("approved" if i % 3 else "rejected")
        flags = []
        if i % 10 == 0:
            flags.append({"code": "possible-copy", "detail": f"{source}:{i - 1}"})
        if i % 17 == 0:
            flags.append({"code": "suspect-word", "detail": "hotpot"})
        yield {
            "source": source, "source_id": str(i), "url": f"https://example.com/{source}/{i}",
            "author_id": author, "author_name": f"Friend {author}",
            "author_handle": f"friend{author}", "author_url": f"https://example.com/u/{author}",
            "text": f"Day {i} in Chongqing: hotpot, monorail and the Yangtze #ChongqingFriends",
            "lang": LANGS[i % len(LANGS)], "platform_lang": LANGS[i % len(LANGS)],
            "hashtags": ["chongqingfriends"], "mentions": [],
            "media": [{"type": "photo", "url": f"https://example.com/m/{i}.jpg",
                       "preview_url": "", "duration_ms": None}],
            "created_at": created, "collected_at": created, "updated_at": now,
            "likes": (i * 7919) % 500, "comments": i % 13, "shares": i % 5, "views": 0,
            "is_repost": False, "status": status, "flags": flags, "featured": False,
            "duplicate_of": f"{SOURCES[(i - 1) % 4]}:{i - 1}" if i % 50 == 1 else None,
            "section": None if pending else "mobile", "decided_by": None if pending else "seed",
            "decided_at": None if pending else created, "version": 1, "raw": {},
            "changed_at": created, "checked_at": created,
        }


JSON_COLUMNS = ("hashtags", "mentions", "media", "flags", "raw")
TIME_COLUMNS = ("created_at", "collected_at", "updated_at", "decided_at", "changed_at",
                "checked_at")


def db_value(name: str, value: Any, sqlite: bool) -> Any:
    """The stored form of a column value (what UTCDateTime and JSON would bind)."""
    if value is None:
        return None
    if name in JSON_COLUMNS:
        return json.dumps(value)
    if name in TIME_COLUMNS:
        naive = value.astimezone(UTC).replace(tzinfo=None)
        return naive.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else naive
    return value


def fill(url: str, n: int, pending_share: float) -> None:
    """Bulk insert: executemany on SQLite, COPY on PostgreSQL, 20,000 rows a transaction."""
    engine = get_engine(url)
    sqlite = engine.dialect.name == "sqlite"
    rows = generate_rows(n, pending_share)
    columns = list(next(generate_rows(1, 0)))
    started, done = time.perf_counter(), 0
    while done < n:
        batch = [[db_value(c, row[c], sqlite) for c in columns]
                 for _, row in zip(range(BATCH), rows, strict=False)]
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            if sqlite:
                marks = ", ".join("?" for _ in columns)
                cursor.executemany(f"INSERT INTO post ({', '.join(columns)}) VALUES ({marks})",
                                   batch)
            else:
                with cursor.copy(f"COPY post ({', '.join(columns)}) FROM STDIN") as copy:
                    for values in batch:
                        copy.write_row(values)
            raw.commit()
        finally:
            raw.close()
        done += len(batch)
        if done % 100_000 < BATCH or done == n:
            rate = done / (time.perf_counter() - started)
            print(f"  generated {done:,}/{n:,} posts ({rate:,.0f}/s)", file=sys.stderr, flush=True)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    if not sqlite:  # what autovacuum does on a live server: index-only scans work
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE post")


class ServerTimer:
    """ASGI wrapper: time from the request entering the app to its last body byte sent."""

    def __init__(self, app: Any) -> None:
        self.app, self.last_ms = app, 0.0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        start = time.perf_counter()
        await self.app(scope, receive, send)
        self.last_ms = (time.perf_counter() - start) * 1000


def timed(fn: Callable[[int], object], runs: int) -> list[float]:
    """Milliseconds per call; a call returning a float reports its own (server) time."""
    fn(-1)  # warm up (templates, statement caches)
    times = []
    for i in range(runs):
        start = time.perf_counter()
        measured = fn(i)
        wall = (time.perf_counter() - start) * 1000
        times.append(measured if isinstance(measured, float) else wall)
    return times


def report(name: str, times: list[float]) -> str:
    p95 = statistics.quantiles(times, n=20)[18]
    verdict = "ok" if p95 < 50 else "SLOW"
    return f"  {name:<14} median {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms   {verdict}"


def measure(url: str, runs: int) -> list[str]:
    from cqfriends.errors import Conflict
    from cqfriends.moderation.queue import claim_batch
    from cqfriends.store.users import create_user

    settings = load_settings(None, {"CQF_DATABASE_URL": url, "CQF_SECRET_KEY": "bench"})
    engine = get_engine(url)
    for i in range(20):
        try:
            create_user(engine=engine, username=f"bench-mod{i}", role="moderator",
                        password="bench-password")
        except Conflict:  # a database measured before (--url)
            pass
    uncached = settings.model_copy(update={"moderation": settings.moderation.model_copy(
        update={"counts_seconds": 0})})

    def claim(i: int) -> object:
        return claim_batch(engine=engine, settings=settings, user=f"bench-claim-{i}", n=10)

    page, page_uncached = pages(settings), pages(uncached)
    return [report("page", timed(page("/moderation"), runs)),
            report("page+filters", timed(page("/moderation?lang=fr&order=engagement"), runs)),
            report("page+flag", timed(page("/moderation?flag=suspect-word"), runs)),
            report("page, counted", timed(page_uncached("/moderation"), runs)),
            report("claim", timed(claim, runs))]


def pages(settings: Any) -> Callable[[str], Callable[[int], float]]:
    """Page loads by 20 logged-in moderators in turn, timed inside the server."""
    from fastapi.testclient import TestClient

    from cqfriends.web.app import create_app

    server = ServerTimer(create_app(settings))
    clients = []
    for i in range(20):
        client = TestClient(server, follow_redirects=False)
        html = client.get("/login").text
        token = html.split('name="csrf-token" content="')[1].split('"')[0]
        client.post("/login", data={"username": f"bench-mod{i}", "password": "bench-password",
                                    "csrf_token": token})
        clients.append(client)

    def page(path: str) -> Callable[[int], float]:
        def get(i: int) -> float:
            response = clients[i % len(clients)].get(path, headers={"accept": "text/html"})
            assert response.status_code == 200, response.text[:300]
            return server.last_ms
        return get
    return page


def make_database(backend: str, pg_url: str, workdir: Path) -> tuple[str, Callable[[], None]]:
    if backend == "sqlite":
        path = workdir.resolve() / "queue-bench.db"
        if path.exists():
            raise SystemExit(f"{path} exists; remove it or choose another --dir")
        return f"sqlite:///{path}", lambda: None
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    name = f"cqf_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(pg_url).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        get_engine(url).dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return url, drop


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--pending", type=float, default=0.1, help="share of posts pending")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--pg", default=PG_DEFAULT, help="PostgreSQL server (a database is "
                        "created and dropped on it)")
    parser.add_argument("--keep", action="store_true", help="keep the filled database")
    parser.add_argument("--dir", type=Path, help="folder for the SQLite file (default: temporary)")
    parser.add_argument("--url", help="measure this filled database (from --keep) instead")
    args = parser.parse_args(argv)
    if args.url:
        print("\n".join(measure(args.url, args.runs)))
        return
    backends = ("sqlite", "postgres") if args.backend == "both" else (args.backend,)
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            url, drop = make_database(backend, args.pg, args.dir or Path(tmp))
            try:
                migrate(url)
                print(f"{backend}: filling {args.posts:,} posts "
                      f"({args.pending:.0%} pending)", flush=True)
                started = time.perf_counter()
                fill(url, args.posts, args.pending)
                print(f"  filled in {time.perf_counter() - started:.0f} s", flush=True)
                for line in measure(url, args.runs):
                    print(line, flush=True)
            finally:
                if args.keep:
                    print(f"  kept {url}", flush=True)
                else:
                    drop()


if __name__ == "__main__":
    main()
