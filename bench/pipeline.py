"""The whole ingest path as a user runs it: ``cqf import`` of a mixed corpus, checks included.

    python bench/pipeline.py --posts 100000 [--db URL] [--dump FILE] [--profile DIR]

Generates the labeled checks corpus (bench/checks_corpus.py: cross-posts under
name variants, copies, retweets, boilerplate, 8 languages) as files, a third
each Twitter search pages, Facebook Graph pages and Douyin NDJSON
(bench/pipeline_files.py), runs ``cqf import twitter|facebook|douyin`` on them in
subprocesses as a user would (each import checks what it stored), and prints
posts/s for import+checks, the peak memory of the cqf processes, and the
precision / recall / copy rate against the labels (bench/quality.py).
``--dump FILE`` writes every post's status, flags and cluster (for comparing runs);
``--profile DIR`` runs each import under cProfile (DIR/twitter.prof, ...).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # not bench/: its queue.py would shadow the standard library

from bench.checks_corpus import Corpus  # noqa: E402
from bench.pipeline_files import write_files  # noqa: E402
from bench.quality import measure  # noqa: E402
from cqfriends.store.db import get_engine, migrate, session_scope  # noqa: E402
from cqfriends.store.posts import list_posts  # noqa: E402

CQF = [sys.executable, "-m", "cqfriends"]


def import_all(paths: dict[str, Path], url: str, profile: Path | None = None) -> float:
    env = {**os.environ, "CQF_DATABASE_URL": url}
    started = time.perf_counter()
    for source in ("twitter", "facebook", "douyin"):
        cqf = CQF
        if profile:
            profile.mkdir(parents=True, exist_ok=True)
            cqf = [sys.executable, "-m", "cProfile", "-o", str(profile / f"{source}.prof"),
                   "-m", "cqfriends"]
        done = subprocess.run([*cqf, "import", source, str(paths[source]),
                               "--config", str(ROOT / "config.yaml")],
                              env=env, capture_output=True, text=True, check=False)
        if done.returncode not in (0, 1):
            raise SystemExit(f"cqf import {source} failed: {done.stderr[-2000:]}")
        print(f"  {source}: {done.stdout.strip().splitlines()[-1]}", file=sys.stderr)
    return time.perf_counter() - started


def dump(url: str, path: Path) -> None:
    with session_scope(get_engine(url)) as session, path.open("w", encoding="utf-8") as out:
        for row in list_posts(session=session, batch=5000):
            out.write(json.dumps([row.key, row.status, row.duplicate_of, row.lang,
                                  sorted((f["code"], f["detail"]) for f in row.flags)],
                                 ensure_ascii=False) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--dump", type=Path, help="write every post's results here")
    parser.add_argument("--profile", type=Path, help="write a cProfile of each import here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{tmp}/bench.db"
        corpus = Corpus(args.posts)
        paths = write_files(corpus.posts(), Path(tmp) / "files")
        migrate(url)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        elapsed = import_all(paths, url, args.profile)
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = used.ru_utime + used.ru_stime - before.ru_utime - before.ru_stime
        peak = used.ru_maxrss / 1024
        quality = measure(url, corpus.labels)
        if args.dump:
            dump(url, args.dump)
    backend = url.split(":", 1)[0]
    print(f"posts: {args.posts}  backend: {backend}  load: {os.getloadavg()[0]:.2f}")
    print(f"cqf import + checks: {elapsed:.1f} s = {args.posts / elapsed:,.0f} posts/s "
          f"({elapsed / args.posts * 1e6:.0f} us/post)")
    print(f"cpu: {cpu:.1f} s in the cqf processes and their detection workers "
          f"({cpu / args.posts * 1e6:.0f} us/post; the wall time above is what counts)")
    print(f"peak memory: largest cqf process {peak:.0f} MiB")
    print(quality.line())


if __name__ == "__main__":
    main()
