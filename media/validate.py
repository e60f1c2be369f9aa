"""What a downloaded file really is, judged by its content (never its name or Content-Type).

Images go through Pillow (JPEG, PNG, WebP, GIF): the header is read, the
pixel count checked against ``MAX_PIXELS`` before anything is decoded (a
decompression bomb is refused, not allocated), then ``verify()``.  Anything
else is probed with PyAV: an allowed container (MP4/MOV, WebM/Matroska) with a
video stream of an allowed codec, its size and duration.  A text page (an HTML
error page served as ``image/jpeg``, JSON, XML) is refused up front: FFmpeg
would otherwise happily read text as "tty" art.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

from cqfriends.errors import CqfError

MAX_PIXELS = 80_000_000  # 80 MP, below Pillow's own bomb warning (~89 MP)
MAX_GIF_FRAMES = 2_000
MAX_VIDEO_SIDE = 8192
MAX_VIDEO_MS = 3 * 3600 * 1000
OPENED_AS = ["JPEG", "PNG", "WEBP", "GIF"]  # Pillow's JPEG plugin opens MPO files too
IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp",
                 "GIF": "image/gif", "MPO": "image/jpeg"}  # MPO: a JPEG with a depth map
VIDEO_CONTAINERS = {"mov,mp4,m4a,3gp,3g2,mj2": "video/mp4", "matroska,webm": "video/webm"}
VIDEO_CODECS = {"h264", "hevc", "vp8", "vp9", "av1", "mpeg4"}
TEXT_STARTS = (b"<", b"{", b"[", b"<?xml")


class Refused(CqfError):
    """The bytes are not a photo or video we keep; the message says why."""


@dataclass(frozen=True)
class Probe:
    kind: str  # photo | gif | video
    mime: str
    container: str
    width: int
    height: int
    codec: str | None = None
    duration_ms: int | None = None
    frames: int = 1


def probe(body: IO[bytes]) -> Probe:
    """Judge ``body`` (rewound afterwards); Refused when it is not a photo or video we keep."""
    head = body.read(512)
    body.seek(0)
    if _looks_like_text(head):
        raise Refused("an HTML or text page, not a photo or video")
    try:
        return probe_image(body)
    except _NotAnImage:
        body.seek(0)
        return probe_video(body)
    finally:
        body.seek(0)


class _NotAnImage(Exception):
    pass


def probe_image(body: IO[bytes]) -> Probe:
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(body, formats=OPENED_AS)
    except UnidentifiedImageError as e:
        raise _NotAnImage from e
    except Image.DecompressionBombError as e:
        raise Refused(f"too many pixels (a decompression bomb?): {e}") from e
    except (OSError, ValueError, SyntaxError) as e:
        raise Refused(f"a broken image: {e}") from e
    with image:
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise Refused(f"too many pixels ({width}x{height}): a decompression bomb?")
        frames = _frames(image)
        fmt = image.format or ""
        try:
            image.verify()
        except Exception as e:  # noqa: BLE001 - Pillow raises many kinds on bad data
            raise Refused(f"a broken {fmt} image: {e}") from e
    kind = "gif" if fmt == "GIF" and frames > 1 else "photo"
    return Probe(kind, IMAGE_FORMATS[fmt], fmt, width, height, frames=frames)


def _frames(image: object) -> int:
    """Frames of an animation, refused past MAX_GIF_FRAMES or 4x MAX_PIXELS in all."""
    try:
        frames = int(getattr(image, "n_frames", 1) or 1)
    except (OSError, ValueError, SyntaxError) as e:
        raise Refused(f"a broken animation: {e}") from e
    width, height = getattr(image, "size", (0, 0))
    if frames > MAX_GIF_FRAMES or width * height * frames > MAX_PIXELS * 4:
        raise Refused(f"too many frames ({frames} of {width}x{height}): a decompression bomb?")
    return frames


def probe_video(body: IO[bytes]) -> Probe:
    import av

    try:
        with av.open(body, mode="r", options={"probesize": "5000000"}) as container:
            fmt = container.format.name
            if fmt not in VIDEO_CONTAINERS:
                raise Refused(f"neither a photo nor a video we keep (format {fmt})")
            if not container.streams.video:
                raise Refused(f"a {fmt} file without a video stream")
            stream = container.streams.video[0]
            codec = stream.codec_context.name
            width, height = stream.codec_context.width, stream.codec_context.height
            duration = _duration_ms(container, stream)
    except av.FFmpegError as e:
        raise Refused("neither a photo nor a video we can read") from e
    if codec not in VIDEO_CODECS:
        raise Refused(f"a video in codec {codec}, which browsers cannot play")
    if not (0 < width <= MAX_VIDEO_SIDE and 0 < height <= MAX_VIDEO_SIDE):
        raise Refused(f"a video of {width}x{height} pixels")
    if duration is not None and duration > MAX_VIDEO_MS:
        raise Refused(f"a video of {duration // 60000} minutes")
    return Probe("video", VIDEO_CONTAINERS[fmt], fmt.split(",")[0], width, height, codec=codec,
                 duration_ms=duration)


def _duration_ms(container: object, stream: object) -> int | None:
    duration, base = getattr(stream, "duration", None), getattr(stream, "time_base", None)
    if duration and base:
        return int(duration * base * 1000)
    whole = getattr(container, "duration", None)  # in AV_TIME_BASE (microseconds)
    return int(whole / 1000) if whole else None


def _looks_like_text(head: bytes) -> bool:
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return stripped.startswith(TEXT_STARTS) or stripped.startswith((b"<!doctype", b"<html"))
