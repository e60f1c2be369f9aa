"""Helpers for tests that start `cqf` processes: free ports, waiting, the cqf executable."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

CQF = str(Path(sys.executable).parent / "cqf")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate: Callable[[], object], timeout: float,
             proc: subprocess.Popen | None = None) -> None:
    """Poll ``predicate`` until true; fail on timeout or when ``proc`` ends first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"process ended early ({proc.returncode})")
        time.sleep(0.1)
    raise AssertionError("timed out")
