"""Participants' uploads over loopback: N concurrent videos of M MB through tus and the form.

    .venv/bin/python bench/uploads.py [--uploads 20] [--mb 50] [--chunk-mb 8]

The app runs in a separate process (uvicorn, SQLite, a local archive folder) so
its memory can be read: the peak resident set (VmHWM) and the resident set
before the uploads.  Each client sends its own video (a real H.264 MP4 of
noise frames, made once, plus an ``mdat``-free ``free`` box that makes the bytes
unique and the size exact) in tus PATCH chunks, then posts the form with the
transfer's id: the server remuxes it without metadata, archives it with its
poster, stores the post and runs the checks.  Prints MB/s of the transfers,
uploads/s end to end, and the server's memory; run with --mb 5 and --mb 50 to
see that memory does not grow with file size (files stream to disk).
"""

from __future__ import annotations

import argparse
import os
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # not bench/

from concurrent.futures import ThreadPoolExecutor  # noqa: E402  (it imports queue)

import requests  # noqa: E402

from tests.processes import free_port  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SERVER = """
import sys, uvicorn
from cqfriends.settings import load_settings
from cqfriends.store.db import migrate
from cqfriends.web.app import create_app
settings = load_settings(sys.argv[1])
migrate(settings.database.url)
uvicorn.run(create_app(settings), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


def base_video() -> bytes:
    """A real H.264 MP4 (the tests' maker, 3 s at 320x240); ``sized`` pads it to each size."""
    from tests.media.files import mp4

    return mp4(320, 240, seconds=3.0, fps=10, seed=1)


def sized(base: bytes, size: int, seed: int, folder: Path) -> Path:
    """``base`` plus a top-level ``free`` box (ignored by players) up to ``size`` bytes."""
    pad = size - len(base) - 8
    path = folder / f"video-{seed}.mp4"
    with path.open("wb") as out:
        out.write(base)
        out.write(struct.pack(">I", pad + 8) + b"free")
        out.write(seed.to_bytes(8, "big"))
        block = b"\0" * (1 << 20)
        left = pad - 8
        while left > 0:
            out.write(block[:min(left, len(block))])
            left -= min(left, len(block))
    return path


def config(folder: Path) -> Path:
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    text = text.replace("proof_of_work: true", "proof_of_work: false")
    text = text.replace("per_address_per_hour: 10", "per_address_per_hour: 100000")
    text = text.replace("per_hour: 500", "per_hour: 100000")
    text = text.replace("url: sqlite:///cqfriends.db", "url: sqlite:///bench.db")
    path = folder / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def memory_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def upload(url: str, path: Path, chunk: int, n: int) -> tuple[float, float]:
    """(seconds of the transfer, seconds to the receipt) of one participant."""
    started = time.monotonic()
    tus = {"Tus-Resumable": "1.0.0"}
    size = path.stat().st_size
    with requests.Session() as http:
        made = http.post(url + "/upload/tus", headers={**tus, "Upload-Length": str(size)})
        made.raise_for_status()
        location, offset = url + made.headers["Location"], 0
        with path.open("rb") as body:
            while offset < size:
                data = body.read(chunk)
                sent = http.patch(location, data=data, headers={
                    **tus, "Upload-Offset": str(offset),
                    "Content-Type": "application/offset+octet-stream"})
                sent.raise_for_status()
                offset = int(sent.headers["Upload-Offset"])
        moved = time.monotonic()
        fields = {"section": "short-video", "title": f"Bench clip {n}", "credit_name": "Bench",
                  "email": f"bench{n}@example.org", "consent_site": "on"}
        done = http.post(url + "/upload", files={**{k: (None, v) for k, v in fields.items()},
                                                 "tus_id": (None, location.rsplit("/", 1)[1])},
                         allow_redirects=False)
        if done.status_code != 303:
            raise RuntimeError(f"upload {n}: {done.status_code} {done.text[:300]}")
    return moved - started, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--uploads", type=int, default=20)
    parser.add_argument("--mb", type=float, default=50)
    parser.add_argument("--chunk-mb", type=float, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cqf-bench-uploads-") as tmp:
        folder = Path(tmp)
        size = int(args.mb * 1e6)
        base = base_video()
        files = [sized(base, size, n, folder) for n in range(args.uploads)]
        port = free_port()
        server = subprocess.Popen([sys.executable, "-c", SERVER, str(config(folder)), str(port)],
                                  cwd=folder, env={**os.environ, "CQF_LOG_LEVEL": "WARNING"})
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    requests.get(url + "/healthz", timeout=1)
                    break
                except requests.ConnectionError:
                    time.sleep(0.2)
            before = memory_kb(server.pid, "VmRSS")
            started = time.monotonic()
            with ThreadPoolExecutor(args.uploads) as pool:
                results = list(pool.map(lambda nf: upload(url, nf[1], int(args.chunk_mb * 1e6),
                                                          nf[0]), enumerate(files)))
            elapsed = time.monotonic() - started
            peak = memory_kb(server.pid, "VmHWM")
        finally:
            server.terminate()
            server.wait(10)
    total_mb = size * args.uploads / 1e6
    transfer = max(r[0] for r in results)
    print(f"{args.uploads} concurrent uploads of {args.mb:g} MB videos ({total_mb:.0f} MB) "
          f"over loopback, tus chunks of {args.chunk_mb:g} MB")
    print(f"transfers: {total_mb / transfer:.1f} MB/s ({transfer:.1f} s until the last byte)")
    print(f"end to end (transfer, remux, archive, poster, post, checks): {elapsed:.1f} s, "
          f"{total_mb / elapsed:.1f} MB/s, {args.uploads / elapsed:.2f} uploads/s")
    print(f"server memory: {before / 1024:.0f} MB before, peak {peak / 1024:.0f} MB")


if __name__ == "__main__":
    main()
