"""Fixtures of the media tests: a local media server, both store backends, posts with media.

``store_settings`` runs a test once with the local folder and once with an
S3-compatible bucket on a moto server that the tests start on 127.0.0.1.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from cqfriends.normalize.post import Media
from cqfriends.settings import Settings
from tests.conftest import make_settings
from tests.export.conftest import make_adder
from tests.factories import make_post
from tests.media.server import MediaServer

BUCKET = "cqf-media"


@pytest.fixture
def media_server() -> Iterator[MediaServer]:
    server = MediaServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server on 127.0.0.1 for the whole session, with the bucket made."""
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    with pytest.MonkeyPatch.context() as patch:
        for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                            ("AWS_DEFAULT_REGION", "us-east-1")):
            patch.setenv(name, value)
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=BUCKET)
        yield endpoint
    server.stop()


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, object]:
    """The media settings of one backend: the folder, or a fresh prefix in the bucket."""
    if request.param == "local":
        return {"store": "", "dir": str(tmp_path / "media")}
    endpoint = request.getfixturevalue("s3_endpoint")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    return {"store": f"s3://{BUCKET}/t-{uuid.uuid4().hex[:8]}", "endpoint_url": endpoint,
            "dir": str(tmp_path / "media")}


def media_settings(tmp_path: Path, db_url: str, **media: object) -> Settings:
    base = make_settings(tmp_path, db_url)
    values = {"dir": str(tmp_path / "media"), "allow_private_hosts": True,
              "timeout_seconds": 5.0, "concurrency": 2, **media}
    return base.model_copy(update={"media": base.media.model_copy(update=values)})


@pytest.fixture
def settings_for(tmp_path: Path, db_url: str):
    return lambda **media: media_settings(tmp_path, db_url, **media)


@pytest.fixture
def add_posts(engine):
    return make_adder(engine)


def photo_post(*urls: str, source: str = "twitter", **overrides: object):
    return make_post(source=source, media=[Media("photo", url=u, preview_url=u) for u in urls],
                     **overrides)


def video_post(url: str, cover: str = "", source: str = "douyin", **overrides: object):
    return make_post(source=source, media=[Media("video", url=url, preview_url=cover)],
                     **overrides)
