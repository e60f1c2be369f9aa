"""The upload readers take any bytes: only their own refusals come out, never a crash."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cqfriends.uploads.errors import UploadRefused
from cqfriends.uploads.form import read_form
from cqfriends.uploads.receive import receive_form
from cqfriends.uploads.tus import parse_metadata

SECTIONS = ["mobile", "professional", "short-video"]
FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


async def _chunks(parts):
    for part in parts:
        yield part


def _part(name: bytes, value: bytes, filename: bytes | None = None) -> bytes:
    extra = b'; filename="' + filename + b'"' if filename is not None else b""
    return (b"--B\r\nContent-Disposition: form-data; name=\"" + name + b"\"" + extra +
            b"\r\n\r\n" + value + b"\r\n")


def run_alone(coroutine):
    """asyncio.run on a thread of its own: the browser tests' Playwright keeps a loop
    running on the main thread for the rest of the session."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@FUZZ
@given(parts=st.lists(st.tuples(st.binary(max_size=12), st.binary(max_size=300),
                                st.one_of(st.none(), st.binary(max_size=8))), max_size=6),
       noise=st.binary(max_size=200), split=st.integers(1, 64))
def test_any_multipart_body_is_read_or_refused(tmp_path, parts, noise, split):
    body = b"".join(_part(*p) for p in parts) + noise + b"--B--\r\n"
    chunks = [body[i:i + split] for i in range(0, len(body), split)]
    try:
        got = run_alone(receive_form(_chunks(chunks), "multipart/form-data; boundary=B",
                                     spool=tmp_path, max_file=500))
    except UploadRefused:
        assert not [f for f in tmp_path.iterdir() if f.name.startswith("form-")]
        return
    if got.file is not None:
        assert got.file.stat().st_size == got.file_size <= 500
        got.file.unlink()


@FUZZ
@given(header=st.text(max_size=300))
def test_any_upload_metadata_is_parsed_or_refused(header):
    try:
        found = parse_metadata(header)
    except UploadRefused:
        return
    assert all(isinstance(v, str) for v in found.values())


@FUZZ
@given(fields=st.dictionaries(st.sampled_from(
    ["section", "title", "description", "credit_name", "country", "email", "consent_site"]),
    st.text(max_size=120), max_size=7))
def test_any_form_fields_are_taken_or_refused(fields):
    try:
        form = read_form(fields, SECTIONS)
    except UploadRefused:
        return
    assert form.section in SECTIONS and form.consent_site and "@" in form.email
