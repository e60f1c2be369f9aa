"""An upload's file without location and other identifying metadata: the copy we keep.

A participant's phone writes where they stood (EXIF GPS, a video's ``©xyz``
location atom), its serial number and owner name into every file.  None of it
is kept, not even in the archived original:

- photos are decoded, turned upright (EXIF orientation applied first) and
  written again without EXIF, XMP or text chunks (JPEG at quality 95; PNG and
  WebP in their own format; HEIC, which browsers do not show, as JPEG); the
  colour profile stays;
- videos are remuxed stream by stream (no re-encoding: quick and lossless)
  into a new container without its metadata; the rotation the player needs
  rides in the stream parameters and is kept.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from cqfriends.i18n.translate import msg
from cqfriends.uploads.errors import NotAccepted

PHOTO_FORMATS = {"JPEG": ("JPEG", "image/jpeg"), "MPO": ("JPEG", "image/jpeg"),
                 "PNG": ("PNG", "image/png"), "WEBP": ("WEBP", "image/webp"),
                 "HEIF": ("JPEG", "image/jpeg")}
VIDEO_FORMATS = {"mp4": "mp4", "mov": "mov"}  # PyAV format of the input -> output muxer
JPEG_QUALITY = 95


def clean_photo(source: Path, target: Path) -> tuple[str, str]:
    """Write ``source`` upright and without metadata to ``target``; (format, mime)."""
    from PIL import Image, ImageOps

    with Image.open(source) as image:
        fmt = image.format or ""
        if fmt not in PHOTO_FORMATS:
            raise NotAccepted(msg("photos must be JPEG, PNG, WebP or HEIC"))
        out_format, mime = PHOTO_FORMATS[fmt]
        icc = image.info.get("icc_profile")
        upright = ImageOps.exif_transpose(image)
        upright = _savable(upright, out_format)
        options: dict[str, Any] = {"icc_profile": icc} if icc else {}
        if out_format == "JPEG":
            options.update(quality=JPEG_QUALITY, subsampling=0 if fmt == "PNG" else -1)
        elif out_format == "WEBP":
            options.update(quality=JPEG_QUALITY)
        with target.open("wb") as out:
            upright.save(out, out_format, **options)  # no exif=: nothing of the original's
    return out_format, mime


def _savable(image: Any, out_format: str) -> Any:
    if out_format == "JPEG" and image.mode not in ("RGB", "L", "CMYK"):
        return image.convert("RGB")
    if out_format == "PNG" and image.mode not in ("RGB", "RGBA", "L", "LA", "P", "I", "1"):
        return image.convert("RGBA")
    return image


def clean_video(source: Path, target: Path, container_name: str) -> None:
    """Remux ``source`` (MP4 or MOV) stream by stream into ``target`` without metadata."""
    import av

    muxer = VIDEO_FORMATS.get(container_name, "mp4")
    try:
        with av.open(str(source), mode="r") as inp, \
                av.open(str(target), mode="w", format=muxer) as out:
            mapping = {}
            for stream in inp.streams:
                if stream.type in ("video", "audio"):
                    mapping[stream.index] = out.add_stream_from_template(stream)
                    mapping[stream.index].metadata.clear()
            for packet in inp.demux(*[inp.streams[i] for i in mapping]):
                if packet.dts is None:
                    continue
                packet.stream = mapping[packet.stream.index]
                out.mux(packet)
    except av.FFmpegError as e:
        raise NotAccepted(msg("the video cannot be read")) from e


def metadata_of(path: Path) -> dict[str, str]:
    """A video's container metadata (what tests look for a location in)."""
    import av

    with av.open(str(path)) as container:
        found = dict(container.metadata)
        for stream in container.streams:
            found.update({f"{stream.index}:{k}": v for k, v in stream.metadata.items()})
        return found


def exif_of(data: bytes) -> dict[int, Any]:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return dict(image.getexif())
