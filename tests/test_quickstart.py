"""The README quick start: `cqf demo`, then a newcomer logs in and sees the sample posts."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time

import httpx

from tests.processes import CQF, free_port

SAMPLE_TEXTS = ("Seilbahn über den Jangtse",)  # from collectors/samples/twitter-search.jsonl


def read_until(proc: subprocess.Popen, pattern: str, timeout: float) -> str:
    """stdout up to the first line matching ``pattern``."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise AssertionError(f"cqf demo ended ({proc.poll()}): {''.join(seen)}")
        seen.append(line)
        if re.search(pattern, line):
            return "".join(seen)
    raise AssertionError(f"no {pattern!r} within {timeout}s: {''.join(seen)}")


def test_cqf_demo_then_log_in_and_see_the_sample_posts(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CQF_")}
    started = time.monotonic()
    proc = subprocess.Popen([CQF, "demo", "--port", str(port)], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=open(tmp_path / "demo.log", "wb"),
                            text=True)
    try:
        out = read_until(proc, r"http://127\.0\.0\.1:\d+/", 60)
        assert time.monotonic() - started < 60  # "within a minute"
        password = re.search(r"user demo-moderator password (\S+)", out).group(1)
        assert (tmp_path / "cqf-demo" / "cqfriends.db").exists()
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            for _ in range(50):  # the URL is printed as the server starts listening
                try:
                    login_page = client.get("/login")
                    break
                except httpx.ConnectError:
                    time.sleep(0.1)
            token = re.search(r'name="csrf-token" content="([^"]+)"', login_page.text).group(1)
            response = client.post("/login", data={
                "username": "demo-moderator", "password": password, "csrf_token": token,
                "next": "/moderation"})
            assert response.status_code == 303
            queue = client.get("/moderation")
            assert queue.status_code == 200
            assert re.search(r"\b\d+ pending\b", re.sub(r"<[^>]+>", "", queue.text))
            assert all(text in queue.text for text in SAMPLE_TEXTS)
            health = client.get("/healthz").json()  # a logged-in member of staff: the facts
            assert health["scheduler"]["running"] is True
            assert health["queue"]["pending"] > 0
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert code == 0, (tmp_path / "demo.log").read_text()
