"""Uploads go through the same checks: the same picture by another author is a possible copy;
contact data leaves after the retention."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlmodel import select

from cqfriends.media.derive import derive_photo
from cqfriends.media.validate import probe
from cqfriends.store.db import session_scope
from cqfriends.store.models import MediaItem, PostRow, UploadRow, utcnow
from cqfriends.uploads.clean import clean_photo
from cqfriends.uploads.withdraw import purge_contacts
from tests.export.conftest import make_adder, set_state
from tests.factories import make_post
from tests.media.files import jpeg
from tests.uploads.conftest import receipt_code, send


def flags_of(engine, key):
    source, _, source_id = key.partition(":")
    with session_scope(engine) as session:
        post = session.exec(select(PostRow).where(PostRow.source == source,
                                                  PostRow.source_id == source_id)).one()
        return post.status, [f["code"] for f in post.flags], post.flags


def test_the_same_photo_by_another_participant_is_flagged(up_client):
    photo = jpeg(seed=9)
    receipt_code(send(up_client, photo, title="Chaotianmen at dawn"))
    receipt_code(send(up_client, photo, title="My own picture", email="other@example.org",
                      credit_name="Someone Else"))
    status, codes, flags = flags_of(up_client.app.state.engine, "upload:2")
    assert status == "pending" and "duplicate-media" in codes
    assert "upload:1" in str(flags)


def test_a_photo_already_archived_from_a_social_post_is_flagged(up_client, tmp_path):
    photo = tmp_path / "p.jpg"
    photo.write_bytes(jpeg(seed=11))
    clean_photo(photo, Path(tmp_path / "c.jpg"))  # what the upload's archive copy will be
    with (tmp_path / "c.jpg").open("rb") as body:
        phash = derive_photo(body, probe(body)).phash
    engine = up_client.app.state.engine
    posted = utcnow() - timedelta(days=2)  # inside dedup.window_days of the upload (today)
    [key] = make_adder(engine)(make_post(text="A view of the Yangtze cable car #ChongqingFriends",
                                         created_at=posted, collected_at=posted))
    set_state(engine, [key], checked_at=utcnow())
    with session_scope(engine, write=True) as session:
        post = session.exec(select(PostRow)).one()
        session.add(MediaItem(post_id=post.id, role="preview", media_type="photo",
                              state="archived", phash=phash, sha256="a" * 64))
    receipt_code(send(up_client, photo.read_bytes(), title="Cable car"))
    status, codes, flags = flags_of(engine, "upload:1")
    assert "duplicate-media" in codes and key in str(flags)


def test_contact_data_is_deleted_after_the_retention(up_client, up_settings):
    receipt_code(send(up_client, jpeg()))
    engine = up_client.app.state.engine
    ends = date.today() - timedelta(days=up_settings.uploads.retention_days)
    running = up_settings.model_copy(update={"campaign": up_settings.campaign.model_copy(
        update={"ends": date.today()})})
    assert purge_contacts(engine=engine, settings=running, now=utcnow()) == 0
    over = up_settings.model_copy(update={"campaign": up_settings.campaign.model_copy(
        update={"ends": ends - timedelta(days=2)})})
    assert purge_contacts(engine=engine, settings=over, now=utcnow()) == 1
    with session_scope(engine) as session:
        upload = session.exec(select(UploadRow)).one()
        assert upload.email is None and upload.client is None and upload.contact_deleted_at
