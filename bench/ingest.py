"""Ingest throughput: N generated X API v2 search pages through normalize + store.

    .venv/bin/python bench/ingest.py --posts 100000 [--db URL]

Prints posts/s and peak RSS, sampled as it goes, so a run at 10,000 and one
at 100,000 show whether memory stays flat (streamed, batched) or grows.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

# Not bench/ itself: its queue.py would shadow the standard library module.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from cqfriends.normalize.post import NormalizeOptions, RawRecord  # noqa: E402
from cqfriends.store.db import get_engine, migrate  # noqa: E402
from cqfriends.store.ingest import ingest_records  # noqa: E402

LANGS = ["en", "fr", "es", "ru", "ja", "de", "ko", "ar", "und"]
START = datetime(2026, 9, 1, tzinfo=UTC)


def generate_pages(n: int, page_size: int = 100) -> Iterator[RawRecord]:
    """Search pages shaped like the real v2 responses (data + includes + meta)."""
    for first in range(0, n, page_size):
        tweets, users, media = [], [], []
        for i in range(first, min(n, first + page_size)):
            tid, uid = str(1700000000000000000 + i), str(900000 + i % 5000)
            key = f"3_{1700000000000000000 + i}"
            tweets.append({
                "id": tid, "author_id": uid, "lang": LANGS[i % len(LANGS)],
                "created_at": (START + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "text": f"Day {i} in Chongqing: hotpot, monorail and the Yangtze #ChongqingFriends",
                "public_metrics": {"retweet_count": i % 7, "reply_count": i % 3,
                                   "like_count": i % 50, "quote_count": 0},
                "entities": {"hashtags": [{"start": 58, "end": 75, "tag": "ChongqingFriends"}]},
                "attachments": {"media_keys": [key]},
                "edit_history_tweet_ids": [tid],
            })
            users.append({"id": uid, "name": f"Friend {uid}", "username": f"friend{uid}"})
            media.append({"media_key": key, "type": "photo",
                          "url": f"https://pbs.twimg.com/media/{key}.jpg"})
        page = {"data": tweets, "includes": {"users": users, "media": media},
                "meta": {"result_count": len(tweets), "newest_id": tweets[0]["id"],
                         "oldest_id": tweets[-1]["id"]}}
        yield RawRecord(source="twitter", kind="search_page", data=page, origin="bench",
                        fetched_at=START + timedelta(days=40))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{tmp}/bench.db"
        migrate(url)
        engine = get_engine(url)
        done, samples = 0, []
        start = time.perf_counter()

        def progress(n: int) -> None:
            nonlocal done
            done += n
            if done % (args.posts // 10 or 1) < n:
                samples.append((done, peak_rss_mb()))
                print(f"  {done:>9,} posts  {done / (time.perf_counter() - start):8,.0f}/s  "
                      f"peak RSS {samples[-1][1]:.0f} MB", file=sys.stderr)

        summary = ingest_records(generate_pages(args.posts), engine=engine,
                                 options=NormalizeOptions(), on_progress=progress)
        elapsed = time.perf_counter() - start
    assert summary.new == args.posts, summary.line()
    print(f"posts: {args.posts}  backend: {engine.dialect.name}")
    print(f"elapsed: {elapsed:.1f} s  throughput: {args.posts / elapsed:,.0f} posts/s")
    print(f"peak RSS: {peak_rss_mb():.0f} MB (at 10%: {samples[0][1]:.0f} MB)")


if __name__ == "__main__":
    main()
