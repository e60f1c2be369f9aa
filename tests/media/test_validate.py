"""Judging files by content: what is kept, what is refused, what the derived files carry."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from cqfriends.media.derive import derive_photo, derive_video
from cqfriends.media.validate import Refused, probe
from tests.media import files

GOOD = {"jpeg": files.jpeg(640, 480), "png": files.png(), "webp": files.webp(),
        "gif": files.gif(), "mp4": files.mp4(seconds=1.0)}


def judge(data: bytes):
    return probe(io.BytesIO(data))


@pytest.mark.parametrize(("name", "kind", "mime"), [
    ("jpeg", "photo", "image/jpeg"), ("png", "photo", "image/png"),
    ("webp", "photo", "image/webp"), ("gif", "gif", "image/gif"), ("mp4", "video", "video/mp4")])
def test_real_files_are_known_by_their_content(name, kind, mime):
    found = judge(GOOD[name])
    assert (found.kind, found.mime) == (kind, mime) and found.width > 0 and found.height > 0


@pytest.mark.parametrize("data", [
    files.HTML_ERROR, b"   \n<html><body>Access denied</body></html>",
    b'{"error": {"message": "URL signature expired"}}', b"<?xml version='1.0'?><Error/>",
    b"URL signature expired", b"\x00" * 2000, b"GIF89a", files.jpeg()[:200]])
def test_pages_text_and_junk_are_refused(data):
    with pytest.raises(Refused):
        judge(data)


def test_an_html_error_page_is_named_as_such():
    with pytest.raises(Refused, match="HTML or text page"):
        judge(files.HTML_ERROR)


def test_a_decompression_bomb_is_refused_before_decoding():
    with pytest.raises(Refused, match="decompression bomb"):
        judge(files.png_bomb())


def test_a_truncated_jpeg_is_refused_when_decoded():
    data = files.jpeg(1200, 900)
    cut = io.BytesIO(data[: len(data) // 2])
    with pytest.raises(Refused):
        derive_photo(cut, probe(cut))


def test_derived_files_carry_no_exif_and_are_upright():
    data = files.jpeg(800, 600, orientation=6, gps=True)  # 6: turn 90 degrees clockwise
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)  # the original has GPS
    body = io.BytesIO(data)
    derived = derive_photo(body, probe(body))
    for made in derived.files:
        image = Image.open(io.BytesIO(made.data))
        assert not image.getexif(), made.name
        assert b"Exif" not in made.data[:4096] and "exif" not in image.info
        assert image.height > image.width  # turned upright: portrait
    assert {f.name for f in derived.files} == {"display", "thumb"}


def test_a_video_poster_is_a_frame_of_it():
    body = io.BytesIO(files.mp4(seconds=2.0))
    derived = derive_video(body, probe(body))
    assert [f.name for f in derived.files] == ["poster", "thumb"]
    assert Image.open(io.BytesIO(derived.files[0].data)).size == (320, 240)
    assert derived.phash and len(derived.phash) == 16


def test_the_same_picture_in_two_formats_has_a_close_perceptual_hash():
    import imagehash

    one, two = io.BytesIO(files.jpeg(640, 480, seed=4)), io.BytesIO(files.png(640, 480, seed=4))
    a, b = derive_photo(one, probe(one)), derive_photo(two, probe(two))
    other = io.BytesIO(files.jpeg(640, 480, seed=9))
    c = derive_photo(other, probe(other))
    distance = imagehash.hex_to_hash(a.phash) - imagehash.hex_to_hash(b.phash)
    assert distance <= 4 < imagehash.hex_to_hash(a.phash) - imagehash.hex_to_hash(c.phash)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(GOOD)), cut=st.floats(0.0, 1.0),
       flips=st.lists(st.tuples(st.floats(0.0, 1.0), st.integers(1, 255)), max_size=8))
def test_damaged_files_are_refused_or_kept_never_a_crash(name, cut, flips):
    data = bytearray(GOOD[name][: max(1, int(len(GOOD[name]) * cut))] if cut < 1 else
                     GOOD[name])
    for where, value in flips:
        data[int(where * (len(data) - 1))] ^= value
    body = io.BytesIO(bytes(data))
    try:
        found = probe(body)
        (derive_video if found.kind == "video" else derive_photo)(body, found)
    except Refused:
        pass
