"""Limits per address and overall, the proof of work (and its no-JavaScript path), clamd."""

from __future__ import annotations

import os
import re
import socket
import threading
from pathlib import Path

import pytest

from cqfriends.uploads import abuse
from cqfriends.uploads.clamd import scan
from tests.media.files import jpeg
from tests.uploads.conftest import receipt_code, send, upload_settings
from tests.web.sessions import make_client

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
DEBIAN_CLAMD = "/var/run/clamav/clamd.ctl"


def clients(settings, *addresses):
    app = make_client(settings).app
    from fastapi.testclient import TestClient

    return [TestClient(app, follow_redirects=False, client=(a, 1)) for a in addresses]


def test_an_address_over_its_hourly_limit_gets_429_others_do_not(tmp_path, db_url):
    settings = upload_settings(tmp_path, db_url, per_address_per_hour=2, per_hour=3)
    one, other, third = clients(settings, "203.0.113.1", "203.0.113.2", "203.0.113.3")
    for seed in (1, 2):
        receipt_code(send(one, jpeg(seed=seed), title=f"t{seed}"))
    refused = send(one, jpeg(seed=3))
    assert refused.status_code == 429 and refused.headers["retry-after"] == "3600"
    receipt_code(send(other, jpeg(seed=4)))
    overall = send(third, jpeg(seed=5))  # 3 in the hour from everyone: the global limit
    assert overall.status_code == 429


def form_challenge(client) -> str:
    page = client.get("/upload", headers={"accept": "text/html"}).text
    return re.search(r'name="pow_challenge" value="([^"]+)"', page).group(1)


def test_proof_of_work_solved_or_once_an_hour_without_javascript(tmp_path, db_url):
    settings = upload_settings(tmp_path, db_url, proof_of_work=True)
    [client] = clients(settings, "203.0.113.9")
    receipt_code(send(client, jpeg(seed=1)))  # no JavaScript: the first of the hour is taken
    assert send(client, jpeg(seed=2)).status_code == 429
    challenge = form_challenge(client)
    nonce = abuse.solve(challenge)
    receipt_code(send(client, jpeg(seed=3), pow_challenge=challenge, pow_nonce=nonce))
    replay = send(client, jpeg(seed=4), pow_challenge=challenge, pow_nonce=nonce)
    assert replay.status_code == 429  # a solution counts once


def test_challenges_are_signed_and_expire():
    challenge = abuse.make_challenge("key", now=1000)
    nonce = abuse.solve(challenge)
    assert not abuse.solved("other key", challenge, nonce, now=1001)
    assert not abuse.solved("key", challenge, nonce, now=1000 + abuse.CHALLENGE_SECONDS + 1)
    forged = challenge.replace("1000.", "1001.")
    assert not abuse.solved("key", forged, nonce, now=1002)
    assert abuse.solved("key", challenge, nonce, now=1001)


class FakeClamd:
    """A unix socket answering INSTREAM like clamd: FOUND when the stream holds EICAR."""

    def __init__(self, path: Path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen()
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            conn, _ = self.sock.accept()
            with conn:
                data = b""
                while not data.endswith(b"\0\0\0\0"):
                    data += conn.recv(65536)
                found = b"EICAR-STANDARD" in data
                conn.sendall(b"stream: Eicar-Test-Signature FOUND\0" if found else
                             b"stream: OK\0")


def test_clamd_instream_against_a_fake_daemon(tmp_path):
    daemon = FakeClamd(tmp_path / "clamd.sock")
    infected, clean = tmp_path / "eicar.jpg", tmp_path / "photo.jpg"
    infected.write_bytes(EICAR)
    clean.write_bytes(jpeg())
    assert scan(infected, daemon.path) == "Eicar-Test-Signature"
    assert scan(clean, daemon.path) is None


@pytest.mark.skipif(not os.path.exists(DEBIAN_CLAMD), reason="no clamd (clamav-daemon) here")
def test_eicar_is_refused_through_a_real_clamd(tmp_path, db_url):
    settings = upload_settings(tmp_path, db_url, clamd_socket=DEBIAN_CLAMD)
    [client] = clients(settings, "203.0.113.20")
    assert scan(_write(tmp_path / "e.txt", EICAR), DEBIAN_CLAMD)
    receipt_code(send(client, jpeg()))


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_a_virus_found_by_clamd_is_refused_with_415(tmp_path, db_url, monkeypatch):
    daemon = FakeClamd(tmp_path / "c.sock")
    settings = upload_settings(tmp_path, db_url, clamd_socket=daemon.path)
    [client] = clients(settings, "203.0.113.21")
    import cqfriends.uploads.intake as intake

    real = intake.judge
    monkeypatch.setattr(intake, "judge", lambda file, s: (real(file, s), file.write_bytes(
        file.read_bytes() + EICAR))[0])  # a photo carrying the test signature
    response = send(client, jpeg())
    assert response.status_code == 415 and "Eicar" in response.text
