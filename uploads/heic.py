"""HEIC/HEIF photos (iPhones' default): taken when pillow-heif is installed, else refused.

Pillow cannot read HEIC by itself; the optional ``pillow-heif`` package adds an
opener.  Without it a HEIC file is refused with 415 and a clear message (the
participant can send a JPEG: iPhones convert when sharing with "Most Compatible").
"""

from __future__ import annotations

from typing import IO

from cqfriends.i18n.translate import msg
from cqfriends.media.validate import MAX_PIXELS, Probe
from cqfriends.uploads.errors import NotAccepted

BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif")


def is_heic(body: IO[bytes]) -> bool:
    head = body.read(32)
    body.seek(0)
    return head[4:8] == b"ftyp" and (head[8:12] in BRANDS or any(
        head[i:i + 4] in BRANDS for i in range(16, 29, 4)))


def heif_support() -> bool:
    try:
        import pillow_heif  # type: ignore[import-not-found]
    except ImportError:
        return False
    pillow_heif.register_heif_opener()
    return True


def open_heic_as_probe(body: IO[bytes]) -> Probe:
    if not heif_support():
        raise NotAccepted(msg("HEIC photos cannot be taken here; send the photo as JPEG"))
    from PIL import Image

    try:
        with Image.open(body) as image:
            width, height = image.size
            image.load()
    except Exception as e:  # noqa: BLE001 - a broken file of any kind
        raise NotAccepted(msg("the HEIC photo cannot be read")) from e
    finally:
        body.seek(0)
    if width * height > MAX_PIXELS:
        raise NotAccepted(msg("the photo has too many pixels"))
    return Probe("photo", "image/heic", "HEIF", width, height)
