"""Fixtures of the upload tests: an app with uploads on (proof of work off unless a test
turns it on), its media folder and spool, and a helper that sends the plain form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_settings
from tests.web.sessions import make_client

EMAIL = "jane.participant@example.org"


def upload_settings(tmp_path: Path, db_url: str, **uploads: Any):
    base = make_settings(tmp_path, db_url)
    media = base.media.model_copy(update={"dir": str(tmp_path / "media")})
    opts = base.uploads.model_copy(update={"spool_dir": str(tmp_path / "spool"),
                                           "proof_of_work": False, **uploads})
    return base.model_copy(update={"media": media, "uploads": opts})


def form(**overrides: Any) -> dict[str, str]:
    values = {"section": "mobile", "title": "Hongyadong at night",
              "description": "Lights over the Jialing river #ChongqingFriends",
              "credit_name": "Jane Doe", "country": "Canada", "email": EMAIL,
              "consent_site": "on", "consent_led": "on", "consent_feeds": "on"}
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def send(client, data: bytes, name: str = "photo.jpg", mime: str = "image/jpeg", **fields: Any):
    return client.post("/upload", data=form(**fields), files={"file": (name, data, mime)},
                       headers={"accept": "text/html"})


def receipt_code(response) -> str:
    assert response.status_code == 303, response.text[:2000]
    location = response.headers["location"]
    assert location.startswith("/upload/receipt/")
    return location.removeprefix("/upload/receipt/").split("?")[0]


@pytest.fixture
def up_settings(tmp_path, db_url):
    return upload_settings(tmp_path, db_url)


@pytest.fixture
def up_client(up_settings):
    return make_client(up_settings, client=("203.0.113.7", 50000))
