"""The same store tests on both backends: the local folder and an S3 bucket on a local server."""

from __future__ import annotations

import hashlib

import pytest

from cqfriends.errors import NotFound
from cqfriends.media.storage import copy_all, derived_key, open_store, original_key, store_for
from tests.conftest import make_settings

SHA = hashlib.sha256(b"hotpot").hexdigest()


@pytest.fixture
def store(backend, tmp_path):
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'x.db'}")
    return open_store(settings.model_copy(update={"media": settings.media.model_copy(
        update=backend)}))


def test_put_read_size_and_ranges(store):
    key = original_key(SHA)
    assert not store.exists(key) and store.size(key) is None
    store.put(key, b"0123456789" * 100_000, "image/jpeg")
    assert store.exists(key) and store.size(key) == 1_000_000
    assert b"".join(store.read(key)) == b"0123456789" * 100_000
    assert b"".join(store.read(key, 5, 14)) == b"5678901234"
    assert b"".join(store.read(key, 999_998)) == b"89"


def test_put_from_a_file_and_overwrite(store, tmp_path):
    key = derived_key(SHA, "thumb", "webp")
    source = tmp_path / "f.bin"
    source.write_bytes(b"first")
    with source.open("rb") as f:
        store.put(key, f, "image/webp")
    store.put(key, b"second", "image/webp")
    assert b"".join(store.read(key)) == b"second"


def test_delete_and_listing(store):
    keys = [original_key(SHA), derived_key(SHA, "display", "jpg"),
            derived_key(SHA, "thumb", "webp")]
    for key in keys:
        store.put(key, key.encode(), "application/octet-stream")
    assert sorted(k for k, _ in store.keys()) == sorted(keys)
    assert store.delete(keys[:2] + [original_key("0" * 64)]) >= 2
    assert [k for k, _ in store.keys()] == [keys[2]]
    with pytest.raises(NotFound):
        b"".join(store.read(keys[0]))


@pytest.mark.parametrize("key", ["../etc/passwd", "originals/ab/../../x", "/abs", "x" * 10,
                                 f"originals/{SHA[:2]}/{SHA}/../../../x"])
def test_keys_outside_the_layout_are_refused(store, key):
    with pytest.raises(NotFound):
        store.put(key, b"x", "text/plain")


def test_copy_into_the_other_backend(store, tmp_path, s3_endpoint):
    store.put(original_key(SHA), b"work", "image/jpeg")
    store.put(derived_key(SHA, "thumb", "webp"), b"thumb", "image/webp")
    target = store_for("s3://cqf-media/copy-" + tmp_path.name[-12:].lower().replace("_", "-"),
                       s3_endpoint) if store.description.startswith("folder") \
        else store_for(str(tmp_path / "copied"))
    assert copy_all(store, target) == (2, 0)
    assert copy_all(store, target) == (0, 2)  # again: nothing to do
    assert b"".join(target.read(original_key(SHA))) == b"work"
