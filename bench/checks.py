"""Bench the checks: ``python bench/checks.py --posts 100000``.

Generates a labeled corpus (bench/checks_corpus.py) into a fresh SQLite
database in a temporary folder (in a child process, so the figures below are
the checks' own), runs the real ``run_checks`` and prints posts/s, duplicate
pair precision and recall, and the peak resident memory of the checking process.
The corpus's perceptual hashes are stored as the media archive would (media_item),
so the identity checks see the same pictures.  Then, against the labels
(bench/quality.py): cross-post pairs folded (precision, recall) and asked
("same person?"), copies by others flagged, retweets queued (the goal: none).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # not bench/: its modules must not shadow the stdlib (queue.py)

from bench.checks_corpus import Corpus  # noqa: E402
from bench.quality import found_pairs, measure, store_phashes  # noqa: E402
from cqfriends.moderation.checks.runner import run_checks  # noqa: E402
from cqfriends.settings import load_settings  # noqa: E402
from cqfriends.store.db import get_engine, migrate, session_scope  # noqa: E402
from cqfriends.store.posts import iter_batches, upsert_posts  # noqa: E402


def build(url: str, n: int, truth_file: Path) -> None:
    migrate(url)
    engine = get_engine(url)
    corpus = Corpus(n)
    for batch in iter_batches(corpus.posts(), 1000):
        with session_scope(engine) as session:
            upsert_posts(session=session, posts=batch)
    with session_scope(engine) as session:
        store_phashes(session, corpus.phashes)
    truth_file.write_text(json.dumps(corpus.labels))


def predicted_pairs(url: str) -> set[frozenset[str]]:
    return {frozenset(p[:2]) for p in found_pairs(url)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=0, help="langdetect processes (0: per CPU)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        truth_file = Path(tmp) / "truth.json"
        started = time.perf_counter()
        child = multiprocessing.get_context("fork").Process(
            target=build, args=(url, args.posts, truth_file))
        child.start()
        child.join()
        if child.exitcode:
            raise SystemExit(f"corpus generation failed ({child.exitcode})")
        print(f"corpus: {args.posts} posts stored in {time.perf_counter() - started:.1f}s")
        settings = load_settings(ROOT / "config.yaml", {"CQF_DATABASE_URL": url})
        settings = settings.model_copy(update={"languages": settings.languages.model_copy(
            update={"workers": args.workers})})
        engine = get_engine(url)
        started = time.perf_counter()
        summary = run_checks(engine=engine, settings=settings, batch_size=args.batch_size)
        elapsed = time.perf_counter() - started
        labels = [tuple(x) for x in json.loads(truth_file.read_text())]
        truth = {frozenset(x[:2]) for x in labels}
        found = predicted_pairs(url)
        quality = measure(url, labels)
    hits = len(truth & found)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(summary.line())
    print(f"checks: {summary.checked} posts in {elapsed:.1f}s = {summary.checked / elapsed:,.0f} "
          f"posts/s ({elapsed / max(summary.checked, 1) * 1e6:.0f} us/post)")
    print(f"pairs: truth {len(truth)}, found {len(found)}, correct {hits}, "
          f"precision {hits / max(len(found), 1):.4f}, recall {hits / max(len(truth), 1):.4f}")
    print(quality.line())
    print(f"peak memory: checking process {own:.0f} MiB, largest child {kids:.0f} MiB "
          "(generator or a langdetect worker)")


if __name__ == "__main__":
    main()
