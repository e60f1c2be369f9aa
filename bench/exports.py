"""Exports at scale: a full theme-page build and /api/v1/posts under a real HTTP load.

    .venv/bin/python bench/exports.py [--posts 100000] [--db URL] [--workers 2]
                                      [--seconds 10] [--connections 32]

Creates N approved posts (three sections, 5% featured) in a fresh database
(SQLite in a temp folder unless --db), then prints:
  * the time of a full site build, and of a rebuild with nothing changed;
  * requests/s of /api/v1/posts pages (limit 50, random cursors through the whole
    listing, with a read token) measured by wrk against uvicorn in a subprocess.
Goals (issue 5): build < 60 s, API >= 1,000 requests/s.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Not bench/ itself on the path: bench/queue.py would shadow the standard library's queue.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from cqfriends.normalize.post import Author, Media, Metrics, Post  # noqa: E402
from cqfriends.store.db import get_engine, migrate, session_scope  # noqa: E402
from cqfriends.store.models import PostRow  # noqa: E402
from cqfriends.store.posts import iter_batches, upsert_posts  # noqa: E402
from cqfriends.store.tokens import create_token  # noqa: E402

SECTIONS = ("mobile", "professional", "short-video")
START = datetime(2026, 9, 1, tzinfo=UTC)


def make_posts(n: int):  # type: ignore[no-untyped-def]
    for i in range(n):
        source = ("twitter", "facebook", "douyin")[i % 3]
        media = (Media(type="video", url=f"https://v.douyin.com/{i}.mp4",
                       preview_url=f"https://p.douyin.com/{i}.jpg", duration_ms=15000)
                 if source == "douyin" else
                 Media(type="photo", url=f"https://pbs.twimg.com/media/{i}.jpg"))
        yield Post(source=source, source_id=str(7000000000000000000 + i),
                   url=f"https://x.com/friend{i % 7000}/status/{i}",
                   author=Author(id=str(i % 7000), name=f"Friend {i % 7000}",
                                 handle=f"friend{i % 7000}", url=f"https://x.com/f{i % 7000}"),
                   text=f"Day {i} in Chongqing: hotpot, monorail & the Yangtze #ChongqingFriends",
                   created_at=START + timedelta(seconds=37 * i),
                   collected_at=START + timedelta(seconds=37 * i + 60), lang="en",
                   hashtags=["chongqingfriends"], media=[media],
                   metrics=Metrics(likes=i % 97, comments=i % 13, shares=i % 5, views=i % 1000),
                   raw={"id": i})


def seed(url: str, n: int) -> None:
    migrate(url)
    engine = get_engine(url)
    started = time.perf_counter()
    for batch in iter_batches(make_posts(n), 1000):
        with session_scope(engine, write=True) as session:
            upsert_posts(session=session, posts=batch)
    with session_scope(engine) as session:
        for i, section in enumerate(SECTIONS):
            session.execute(sa.update(PostRow).where(PostRow.id % 3 == i).values(
                status="approved", section=section, featured=(PostRow.id % 20 == 0),
                decided_at=START, changed_at=START))
    print(f"seeded {n:,} approved posts in {time.perf_counter() - started:.1f} s")


def write_config(folder: Path, url: str) -> Path:
    config = folder / "config.yaml"
    config.write_text(
        "campaign:\n  name: Foreigners @Chongqing\n  hashtags: [ChongqingFriends]\n"
        "  sections:\n" + "".join(f"    - {{id: {s}, name: {s.title()} works}}\n"
                                  for s in SECTIONS) +
        f"database:\n  url: {json.dumps(url)}\nexport:\n  site_dir: site\n")
    return config


def bench_site(config: Path) -> None:
    from cqfriends.export.site import build_site
    from cqfriends.settings import load_settings

    settings = load_settings(config, {})
    engine = get_engine(settings.database.url)
    for label in ("full build", "rebuild, nothing changed"):
        started = time.perf_counter()
        result = build_site(engine=engine, settings=settings)
        print(f"site {label}: {time.perf_counter() - started:.1f} s "
              f"({result.files:,} files, {result.written:,} written)")


def app_factory():  # type: ignore[no-untyped-def]
    """For ``uvicorn --factory``: the app on $CQF_CONFIG."""
    from cqfriends.settings import load_settings
    from cqfriends.web.app import create_app

    logging_off()
    return create_app(load_settings(os.environ["CQF_CONFIG"]))


def logging_off() -> None:
    import logging

    logging.getLogger("uvicorn.access").disabled = True


def walk_cursors(base: str, token: str, pages: int) -> list[str]:
    paths, cursor = [], ""
    while len(paths) < pages:
        path = "/api/v1/posts?limit=50" + (f"&cursor={cursor}" if cursor else "")
        paths.append(path)
        request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request) as response:
            cursor = json.load(response)["next_cursor"]
        if not cursor:
            break
    return paths


def bench_api(config: Path, url: str, workers: int, seconds: int, connections: int) -> None:
    if shutil.which("wrk") is None:
        print("wrk not installed (apt-get install -y wrk): API load test skipped")
        return
    with session_scope(get_engine(url), write=True) as session:
        token = create_token(session=session, name=f"bench-{time.time_ns()}")
    port = 8765
    env = {**os.environ, "CQF_CONFIG": str(config), "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench.exports:app_factory", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
         "--log-level", "warning", "--no-access-log"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base + "/openapi.json")
        paths = walk_cursors(base, token, 2000)
        script = Path(tempfile.mkdtemp()) / "pages.lua"
        script.write_text(
            "local paths = {" + ",".join(json.dumps(p) for p in paths) + "}\n"
            f'wrk.headers["Authorization"] = "Bearer {token}"\n'
            "request = function()\n  return wrk.format(\"GET\", paths[math.random(#paths)])\nend\n")
        # First run: caches cold (most pages built from the database); second: warm.
        for label in ("cold caches", "warm caches"):
            out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s",
                                  str(script), "--latency", base], capture_output=True,
                                 text=True, check=True).stdout
            print(f"/api/v1/posts, {label} (limit 50, random page of {len(paths):,}, "
                  f"{workers} workers, {connections} connections): {_wrk_summary(out)}")
    finally:
        server.terminate()
        server.wait(10)


def _wrk_summary(out: str) -> str:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50, p99 = (re.search(rf"^\s+{p}%\s+(\S+)", out, re.M) for p in (50, 99))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return (f"{rps:,.0f} requests/s, p50 {p50 and p50.group(1)}, p99 {p99 and p99.group(1)}, "
            f"non-2xx {errors.group(1) if errors else 0}")


def _wait_for(url: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--skip-site", action="store_true", help="only the API load test")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="cqf-bench-exports-"))
    url = args.db or f"sqlite:///{folder / 'bench.db'}"
    try:
        seed(url, args.posts)
        config = write_config(folder, url)
        if not args.skip_site:
            bench_site(config)
        bench_api(config, url, args.workers, args.seconds, args.connections)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
