"""tus 1.0 over HTTP: creation, offsets, a resumed upload equal to an uninterrupted one."""

from __future__ import annotations

import hashlib

from cqfriends.store.db import session_scope
from cqfriends.store.models import MediaItem, UploadRow
from tests.media.files import mp4
from tests.uploads.conftest import form, receipt_code, send

TUS = {"Tus-Resumable": "1.0.0"}
PATCH = {**TUS, "Content-Type": "application/offset+octet-stream"}


def create(client, length: int):
    response = client.post("/upload/tus", headers={**TUS, "Upload-Length": str(length),
                                                   "Upload-Metadata": "filename Y2xpcC5tcDQ="})
    assert response.status_code == 201, response.text
    return response.headers["location"]


def offset(client, url) -> int:
    response = client.head(url, headers=TUS)
    assert response.status_code == 200
    return int(response.headers["upload-offset"])


def archived_sha(engine, upload_id) -> str:
    with session_scope(engine) as session:
        upload = session.get(UploadRow, upload_id)
        return session.query(MediaItem).filter_by(post_id=upload.post_id).first().sha256


def test_a_resumed_upload_is_the_same_file_as_an_uninterrupted_one(up_client, up_settings):
    video = mp4(seconds=3.0, seed=2)
    url = create(up_client, len(video))
    cut = len(video) // 3
    # the connection drops after ``cut`` bytes arrived: the server keeps them
    assert up_client.patch(url, content=video[:cut], headers={**PATCH, "Upload-Offset": "0"}
                           ).status_code == 204
    assert offset(up_client, url) == cut
    stale = up_client.patch(url, content=video[:10], headers={**PATCH, "Upload-Offset": "0"})
    assert stale.status_code == 409  # resuming from anywhere but the offset is refused
    done = up_client.patch(url, content=video[cut:], headers={**PATCH,
                                                              "Upload-Offset": str(cut)})
    assert done.status_code == 204 and done.headers["upload-offset"] == str(len(video))
    transfer = url.rsplit("/", 1)[1]
    received = (up_settings.uploads.spool_dir + f"/tus/{transfer}.bin")
    with open(received, "rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == hashlib.sha256(video).hexdigest()
    resumed = up_client.post("/upload", data=form(section="short-video"),
                             files={"tus_id": (None, transfer)}, headers={"accept": "text/html"})
    receipt_code(resumed)
    receipt_code(send(up_client, video, "clip.mp4", "video/mp4", title="same clip"))
    engine = up_client.app.state.engine
    with session_scope(engine) as session:
        first, second = sorted(u.id for u in session.query(UploadRow).all())
    assert archived_sha(engine, first) == archived_sha(engine, second)
    assert up_client.head(url, headers=TUS).status_code == 404  # used up by the form


def test_tus_refuses_what_it_must(up_client, up_settings):
    limit = int(up_settings.uploads.max_video_mb * 1e6)
    too_big = up_client.post("/upload/tus", headers={**TUS, "Upload-Length": str(limit + 1)})
    assert too_big.status_code == 413
    url = create(up_client, 100)
    assert up_client.patch(url, content=b"x" * 101, headers={**PATCH, "Upload-Offset": "0"}
                           ).status_code == 413
    wrong_type = up_client.patch(url, content=b"x", headers={
        **TUS, "Content-Type": "application/octet-stream", "Upload-Offset": "0"})
    assert wrong_type.status_code == 415
    assert up_client.post("/upload/tus", headers={"Upload-Length": "5"}).status_code == 400
    options = up_client.options("/upload/tus")
    assert options.headers["tus-version"] == "1.0.0" and "creation" in \
        options.headers["tus-extension"]
    assert up_client.delete(url, headers=TUS).status_code == 204
    assert up_client.head(url, headers=TUS).status_code == 404
    guessed = up_client.head("/upload/tus/" + "A" * 43, headers=TUS)
    assert guessed.status_code == 404
    unfinished = create(up_client, 50).rsplit("/", 1)[1]
    response = up_client.post("/upload", data=form(), files={"tus_id": (None, unfinished)},
                              headers={"accept": "text/html"})
    assert response.status_code == 400
