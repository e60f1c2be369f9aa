"""Files made from an original: display size, thumbnail, video poster, and a perceptual hash.

Photos: a display file (JPEG, long edge at most ``DISPLAY_EDGE``) and a
thumbnail (WebP, ``THUMB_EDGE``).  A JPEG is decoded in Pillow's draft mode:
libjpeg scales it by 1/2, 1/4 or 1/8 while decoding, to the smallest size still
larger than the display size, several times faster than a full decode.
Videos: a poster frame (the frame at about ``POSTER_SECONDS``) as display and
thumbnail files, through PyAV.  Orientation (EXIF, or a video's rotation) is
applied and no metadata is written (no EXIF, no GPS); the colour profile is kept.
The perceptual hash (``imagehash.phash`` of the thumbnail, 16 hex digits) lets the
duplicate checks find the same picture in other files.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import IO, Any

from cqfriends.media.validate import Probe, Refused

DISPLAY_EDGE = 1600
THUMB_EDGE = 480
DISPLAY_QUALITY = 82
THUMB_QUALITY = 75
POSTER_SECONDS = 1.0
MAX_POSTER_FRAMES = 120  # frames decoded at most while looking for the poster


@dataclass(frozen=True)
class DerivedFile:
    name: str  # display | thumb | poster
    data: bytes
    mime: str
    width: int
    height: int

    @property
    def extension(self) -> str:
        return {"image/jpeg": "jpg", "image/webp": "webp"}[self.mime]


@dataclass
class Derived:
    files: list[DerivedFile] = field(default_factory=list)
    phash: str | None = None


def fit(size: tuple[int, int], edge: int) -> tuple[int, int]:
    """``size`` scaled down (never up) so that its long edge is at most ``edge``."""
    width, height = size
    scale = min(1.0, edge / max(width, height, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))


def derive_photo(body: IO[bytes], found: Probe) -> Derived:
    from PIL import Image, ImageOps

    try:
        opened_as = "JPEG" if found.container == "MPO" else found.container
        with Image.open(body, formats=[opened_as]) as image:
            if image.format in ("JPEG", "MPO"):
                image.draft("RGB", fit(image.size, DISPLAY_EDGE))
            image.load()
            upright = ImageOps.exif_transpose(image)
            icc = image.info.get("icc_profile")
            return _pictures(upright, icc, display_name="display")
    except Refused:
        raise
    except Exception as e:  # noqa: BLE001 - truncated or corrupt data shows only on decoding
        raise Refused(f"the image cannot be decoded: {e}") from e


def derive_video(body: IO[bytes], found: Probe) -> Derived:
    import av

    try:
        with av.open(body, mode="r") as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            frame = _poster_frame(container, stream)
            image = frame.to_image()
            rotation = int(getattr(frame, "rotation", 0) or 0)
    except av.FFmpegError as e:
        raise Refused(f"the video cannot be decoded: {e}") from e
    if rotation % 360:
        image = image.rotate(rotation, expand=True)  # the display matrix turns counter-clockwise
    return _pictures(image, None, display_name="poster")


def _poster_frame(container: Any, stream: Any) -> Any:
    chosen = None
    for n, frame in enumerate(container.decode(stream)):
        chosen = frame
        if (frame.time or 0) >= POSTER_SECONDS or n >= MAX_POSTER_FRAMES:
            break
    if chosen is None:
        raise Refused("the video has no frame to show")
    return chosen


def _pictures(image: Any, icc: bytes | None, *, display_name: str) -> Derived:
    import imagehash
    from PIL import Image

    rgb = _rgb(image)
    # BOX (area averaging) is enough for the last step down from a DCT-scaled decode and
    # ~25% faster than BILINEAR; reducing_gap=1 bins pixels first for the thumbnail.
    display = rgb.resize(fit(rgb.size, DISPLAY_EDGE), Image.Resampling.BOX) \
        if max(rgb.size) > DISPLAY_EDGE else rgb
    thumb = display.resize(fit(display.size, THUMB_EDGE), Image.Resampling.BILINEAR,
                           reducing_gap=1.0)
    extra = {"icc_profile": icc} if icc else {}
    files = [
        DerivedFile(display_name, _encode(display, "JPEG", quality=DISPLAY_QUALITY, **extra),
                    "image/jpeg", *display.size),
        DerivedFile("thumb", _encode(thumb, "WEBP", quality=THUMB_QUALITY, method=1, **extra),
                    "image/webp", *thumb.size),
    ]
    return Derived(files, str(imagehash.phash(thumb)))


def _rgb(image: Any) -> Any:
    """RGB pixels; transparency laid on white (the display file is a JPEG)."""
    from PIL import Image

    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def _encode(image: Any, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)  # no exif= given: nothing of the original's metadata
    return out.getvalue()
