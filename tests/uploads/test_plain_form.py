"""The plain form end to end: a photo into the queue with its section, cleaned, archived;
413, 415, the receipt, withdrawal."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlmodel import select

from cqfriends.media.storage import open_store
from cqfriends.store.db import session_scope
from cqfriends.store.models import AuditEntry, MediaItem, PostRow, UploadRow
from tests.media.files import GPS_IFD, jpeg, mp4
from tests.uploads.conftest import EMAIL, receipt_code, send


def post_of(engine, upload_id):
    with session_scope(engine) as session:
        post = session.exec(select(PostRow).where(PostRow.source == "upload",
                                                  PostRow.source_id == str(upload_id))).one()
        items = session.exec(select(MediaItem).where(MediaItem.post_id == post.id)).all()
        session.expunge_all()
        return post, items


def upload_ids(engine):
    with session_scope(engine) as session:
        return [u.id for u in session.exec(select(UploadRow)).all()]


def stored_bytes(settings, key):
    return b"".join(open_store(settings).read(key))


def test_a_jpeg_with_gps_is_queued_in_its_section_without_any_exif(up_client, up_settings):
    photo = jpeg(1200, 800, orientation=6, gps=True)
    assert GPS_IFD in Image.open(io.BytesIO(photo)).getexif()
    code = receipt_code(send(up_client, photo, section="professional"))
    engine = up_client.app.state.engine
    [upload_id] = upload_ids(engine)
    post, items = post_of(engine, upload_id)
    assert post.status == "pending" and post.section == "professional"
    assert post.author_name == "Jane Doe" and post.key == f"upload:{upload_id}"
    assert {i.role for i in items} == {"preview", "full"}
    item = items[0]
    assert item.state == "archived" and item.kind == "photo" and item.phash
    original = stored_bytes(up_settings, f"originals/{item.sha256[:2]}/{item.sha256}")
    for data in [original] + [stored_bytes(up_settings, f["key"]) for f in item.derived.values()]:
        image = Image.open(io.BytesIO(data))
        assert not image.getexif(), "EXIF left in a stored copy"
        assert b"Exif" not in data[:4096] and b"TestCam" not in data
    upright = Image.open(io.BytesIO(original))
    assert upright.size == (800, 1200)  # orientation 6 applied before the EXIF went
    assert EMAIL not in str(post.raw)
    page = up_client.get(f"/upload/receipt/{code}", headers={"accept": "text/html"})
    assert page.status_code == 200 and "Hongyadong at night" in page.text
    assert "in review" in page.text and code in page.text


def test_a_small_mp4_gets_its_poster_and_duration(up_client):
    code = receipt_code(send(up_client, mp4(seconds=2.0), "clip.mp4", "video/mp4",
                             section="short-video"))
    assert code
    [upload_id] = upload_ids(up_client.app.state.engine)
    post, items = post_of(up_client.app.state.engine, upload_id)
    item = items[0]
    assert item.kind == "video" and "poster" in item.derived and "thumb" in item.derived
    assert 1800 <= item.duration_ms <= 2200
    assert post.media[0]["type"] == "video" and post.section == "short-video"


@pytest.mark.parametrize("data, name, mime", [
    (b"MZ\x90\x00\x03" + b"\x00" * 4000, "photo.jpg", "image/jpeg"),  # a renamed .exe
    (b"<!doctype html><html><script>alert(1)</script></html>", "x.jpg", "image/jpeg"),
    (b"GIF89a" + b"\x00" * 100, "x.gif", "image/gif"),
])
def test_what_is_not_a_photo_or_video_is_refused_with_415(up_client, data, name, mime):
    response = send(up_client, data, name, mime)
    assert response.status_code == 415
    assert not upload_ids(up_client.app.state.engine)


def test_an_oversize_file_is_refused_with_413_without_filling_the_disk(tmp_path, db_url):
    from tests.uploads.conftest import upload_settings
    from tests.web.sessions import make_client

    settings = upload_settings(tmp_path, db_url, max_plain_mb=0.5)
    client = make_client(settings)
    spool = tmp_path / "spool"
    written = []

    def body():  # 5 MB, streamed: the server must stop reading long before the end
        yield b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.mp4\"\r\n"
        yield b"Content-Type: video/mp4\r\n\r\n"
        for _ in range(80):
            written.append(sum(f.stat().st_size for f in spool.rglob("*") if f.is_file())
                           if spool.exists() else 0)
            yield b"\0" * 65536
        yield b"\r\n--b--\r\n"

    response = client.post("/upload", content=body(), headers={
        "content-type": "multipart/form-data; boundary=b", "accept": "text/html"})
    assert response.status_code == 413
    assert max(written) <= 0.5e6 + 65536
    assert not [f for f in spool.rglob("*") if f.is_file()]
    declared = client.post("/upload", content=b"x", headers={
        "content-type": "multipart/form-data; boundary=b", "content-length": "900000000"})
    assert declared.status_code == 413


def test_the_receipt_code_is_long_and_random_and_a_wrong_one_finds_nothing(up_client):
    code = receipt_code(send(up_client, jpeg()))
    assert len(code) >= 24
    assert up_client.get("/upload/receipt/" + code[:-1] + ("A" if code[-1] != "A" else "B"),
                         headers={"accept": "text/html"}).status_code == 404


def test_withdrawal_takes_the_work_down_everywhere_with_an_audit_entry(up_client, up_settings):
    code = receipt_code(send(up_client, jpeg(seed=4)))
    engine = up_client.app.state.engine
    [upload_id] = upload_ids(engine)
    _, items = post_of(engine, upload_id)
    original = f"originals/{items[0].sha256[:2]}/{items[0].sha256}"
    assert open_store(up_settings).exists(original)
    page = up_client.get(f"/upload/receipt/{code}", headers={"accept": "text/html"})
    import re
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    done = up_client.post(f"/upload/receipt/{code}/withdraw",
                          data={"csrf_token": csrf, "confirm": "yes"})
    assert done.status_code == 303
    post, items = post_of(engine, upload_id)
    assert post.status == "removed" and all(i.state == "removed" for i in items)
    assert not open_store(up_settings).exists(original)
    with session_scope(engine) as session:
        upload = session.get(UploadRow, upload_id)
        assert upload.email is None and upload.client is None and upload.withdrawn_at
        [entry] = session.exec(select(AuditEntry)).all()
        assert entry.actor == "participant" and entry.action == "takedown"
        assert EMAIL not in str(entry.detail) and "203.0.113.7" not in str(entry.detail)
    page = up_client.get(f"/upload/receipt/{code}", headers={"accept": "text/html"})
    assert "withdrawn" in page.text.lower()


def test_showing_on_the_theme_page_must_be_agreed(up_client):
    response = send(up_client, jpeg(), consent_site=None)
    assert response.status_code == 400
    assert "theme page" in response.text


def test_the_honeypot_refuses_a_bot(up_client):
    assert send(up_client, jpeg(), website="http://spam.example").status_code == 400
