"""Media archive throughput: N photos of 12 MP and M short videos from a local server.

    .venv/bin/python bench/media.py [--photos 2000] [--videos 50] [--concurrency 4]

A separate process serves the files on 127.0.0.1 (``media.allow_private_hosts``
is set for it); every file has its own bytes (a JPEG comment or an MP4 ``free``
box makes each unique), so every one is fetched, validated, stored and derived:
nothing is skipped as a duplicate.  Prints photos/s, MB/s, ms per thumbnail
(display + thumbnail + perceptual hash of one 12 MP JPEG, in one thread) and
the archive's size per work, with the disk a campaign of 10,000 works takes.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import struct
import sys
import tempfile
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # not bench/ (its queue.py)

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from cqfriends.media.archive import Archive  # noqa: E402
from cqfriends.normalize.post import Author, Media, Post  # noqa: E402
from cqfriends.settings import load_settings  # noqa: E402
from cqfriends.store.db import get_engine, migrate, session_scope  # noqa: E402
from cqfriends.store.media import archived_bytes  # noqa: E402
from cqfriends.store.posts import upsert_posts  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BASE_PHOTOS = 8
BASE_VIDEOS = 3


def photo_like(seed: int, width: int = 4000, height: int = 3000) -> bytes:
    """A 12 MP JPEG with a phone photo's texture (smooth light, edges, sensor noise)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (height // 100, width // 100, 3), dtype=np.uint8)
    image = Image.fromarray(small).resize((width, height), Image.Resampling.BICUBIC)
    pixels = np.asarray(image, dtype=np.int16) + rng.normal(0, 5, (height, width, 3)).astype(
        np.int16)
    out = io.BytesIO()
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(out, "JPEG", quality=90)
    return out.getvalue()


def clip(seed: int) -> bytes:
    """A 5-second vertical 720p H.264 clip (the tests' maker, at phone size)."""
    from tests.media.files import mp4

    return mp4(720, 1280, seconds=5.0, fps=30, seed=seed)


def unique_jpeg(base: bytes, n: int) -> bytes:
    comment = f"bench photo {n}".encode()
    return base[:2] + b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment + base[2:]


def unique_mp4(base: bytes, n: int) -> bytes:
    return base + struct.pack(">I", 16) + b"free" + struct.pack(">Q", n)


def serve(photos: list[bytes], videos: list[bytes], ready: Any, port: Any) -> None:
    """Serve /photo/N.jpg and /video/N.mp4, each made unique on the fly (no 8 GB in memory)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            body = file_at(self.path, photos, videos)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "image/jpeg")  # never trusted: the archive sniffs
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port.append(server.server_address[1])
    ready.set()
    server.serve_forever()


def file_at(path: str, photos: list[bytes], videos: list[bytes]) -> bytes:
    kind, _, name = path.strip("/").partition("/")
    number = name.split(".")[0]
    if not number.isdigit():
        return b""
    n = int(number)
    if kind == "photo":
        return unique_jpeg(photos[n % len(photos)], n)
    if kind == "video" and videos:
        return unique_mp4(videos[n % len(videos)], n)
    return b""


def make_posts(n: int, kind: str, base_url: str, offset: int) -> list[Post]:
    now = datetime(2026, 10, 3, tzinfo=UTC)
    ext = "jpg" if kind == "photo" else "mp4"
    return [Post(source="twitter", source_id=str(offset + i), url=f"https://x.com/i/{i}",
                 author=Author(id=str(i % 500)), text=f"work {i} #ChongqingFriends",
                 created_at=now, collected_at=now,
                 media=[Media(kind, url=f"{base_url}/{kind}/{i}.{ext}")]) for i in range(n)]


def thumbnail_ms(photo: bytes, rounds: int = 10) -> float:
    from cqfriends.media.derive import derive_photo
    from cqfriends.media.validate import probe

    body = io.BytesIO(photo)
    found = probe(body)
    derive_photo(body, found)  # warm up (imagehash's first call loads scipy)
    start = time.perf_counter()
    for _ in range(rounds):
        body.seek(0)
        derive_photo(body, found)
    return (time.perf_counter() - start) / rounds * 1000


def archive(settings, engine, label: str, count: int, size: int) -> float:
    start = time.perf_counter()
    summary = Archive(settings, engine).run()
    elapsed = time.perf_counter() - start
    assert summary.fetched == count and summary.failed == 0, summary
    print(f"{label}: {count} in {elapsed:.1f} s = {count / elapsed:.1f}/s, "
          f"{size / 1e6 / elapsed:.1f} MB/s ({size / 1e6:.0f} MB)")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=2000)
    parser.add_argument("--videos", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    print(f"load before: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} CPUs", flush=True)
    made = time.perf_counter()
    photos = [photo_like(seed) for seed in range(BASE_PHOTOS)]
    videos = [clip(seed) for seed in range(BASE_VIDEOS)] if args.videos else []
    print(f"made the base files in {time.perf_counter() - made:.0f} s "
          f"(a photo ~{len(photos[0]) / 1e6:.1f} MB)", flush=True)
    ready, port = multiprocessing.Event(), multiprocessing.Manager().list()
    server = multiprocessing.Process(target=serve, args=(photos, videos, ready, port),
                                     daemon=True)
    server.start()
    ready.wait(60)
    base_url = f"http://127.0.0.1:{port[0]}"
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        migrate(url)
        engine = get_engine(url)
        base = load_settings(ROOT / "config.yaml", {"CQF_DATABASE_URL": url})
        settings = base.model_copy(update={"media": base.media.model_copy(update={
            "dir": f"{tmp}/media", "allow_private_hosts": True, "fetch": "approved",
            "concurrency": args.concurrency})})
        photo_posts = make_posts(args.photos, "photo", base_url, 0)
        video_posts = make_posts(args.videos, "video", base_url, 10**9)
        approve(engine, photo_posts)
        photo_bytes = sum(len(photos[i % BASE_PHOTOS]) for i in range(args.photos))
        elapsed = archive(settings, engine, "photos", args.photos, photo_bytes)
        if args.videos:
            approve(engine, video_posts)
            archive(settings, engine, "videos", args.videos,
                    sum(len(videos[i % BASE_VIDEOS]) for i in range(args.videos)))
        report(settings, engine, tmp, args, photos[0], elapsed)
    server.terminate()


def approve(engine, posts: list[Post]) -> None:
    import sqlalchemy as sa

    from cqfriends.store.models import PostRow

    with session_scope(engine, write=True) as session:
        upsert_posts(session=session, posts=posts)
        session.execute(sa.update(PostRow).where(PostRow.status == "collected")
                        .values(status="approved"))


def report(settings, engine, tmp: str, args, photo: bytes, elapsed: float) -> None:
    with session_scope(engine) as session:
        originals, original_bytes = archived_bytes(session=session)
    total = sum(f.stat().st_size for f in Path(tmp, "media").rglob("*") if f.is_file())
    works = args.photos + args.videos
    print(f"ms per thumbnail (display 1600 + thumbnail 480 + phash, one 12 MP JPEG, "
          f"1 thread): {thumbnail_ms(photo):.0f}")
    print(f"archive: {total / 1e6:.0f} MB for {works} works = {total / works / 1e6:.2f} MB "
          f"per work (originals {original_bytes / 1e6:.0f} MB in {originals} files, derived "
          f"{(total - original_bytes) / 1e6:.0f} MB)")
    print(f"10,000 works like these: {total / works * 10_000 / 1e9:.1f} GB "
          f"(derived files only: {(total - original_bytes) / works * 10_000 / 1e9:.1f} GB)")
    print(f"photos end to end: {args.photos / elapsed:.1f}/s (goal >= 50/s); "
          f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
