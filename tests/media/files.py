"""Real media files made by the tests: JPEG (with EXIF orientation and GPS), PNG, WebP, GIF, MP4."""

from __future__ import annotations

import io
import struct
import zlib
from fractions import Fraction

import av
import numpy as np
from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def picture(width: int = 800, height: int = 600, seed: int = 1) -> Image.Image:
    """A photo-like picture: gradients, a few shapes and mild noise (not one flat colour)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    red = (x * 255 // max(width - 1, 1)).astype(np.int16)
    green = (y * 255 // max(height - 1, 1)).astype(np.int16)
    blue = ((x + y + seed * 40) % 256).astype(np.int16)
    pixels = np.stack([red, green, blue], axis=-1)
    cx, cy, r = width * (0.3 + 0.1 * (seed % 4)), height * 0.5, min(width, height) / 5
    pixels[(x - cx) ** 2 + (y - cy) ** 2 < r * r] = (250, 220, 40)
    pixels = pixels + rng.integers(-6, 7, pixels.shape)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


def jpeg(width: int = 800, height: int = 600, *, seed: int = 1, orientation: int | None = None,
         gps: bool = False, quality: int = 90) -> bytes:
    image = picture(width, height, seed)
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make
    if orientation:
        exif[ORIENTATION] = orientation
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (29.0, 33.0, 36.0), 3: "E", 4: (106.0, 33.0, 0.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, exif=exif.tobytes())
    return out.getvalue()


def png(width: int = 640, height: int = 480, *, seed: int = 2, alpha: bool = False) -> bytes:
    image = picture(width, height, seed)
    if alpha:
        image.putalpha(200)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def webp(width: int = 640, height: int = 480, *, seed: int = 3) -> bytes:
    out = io.BytesIO()
    picture(width, height, seed).save(out, "WEBP", quality=80)
    return out.getvalue()


def gif(width: int = 320, height: int = 240, *, frames: int = 3) -> bytes:
    images = [picture(width, height, seed).convert("P") for seed in range(1, frames + 1)]
    out = io.BytesIO()
    images[0].save(out, "GIF", save_all=True, append_images=images[1:], duration=100, loop=0)
    return out.getvalue()


def mp4(width: int = 320, height: int = 240, *, seconds: float = 2.0, fps: int = 10,
        codec: str = "libx264", seed: int = 0) -> bytes:
    """A short H.264 MP4 made with PyAV (moving gradients; ``seed`` varies the pictures)."""
    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = Fraction(1, fps)
        for n in range(int(seconds * fps)):
            frame = av.VideoFrame.from_image(picture(width, height, seed=(n + seed) % 7 + 1))
            frame.pts = n
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def png_bomb(side: int = 50_000) -> bytes:
    """A tiny PNG whose header claims side x side pixels (2.5 gigapixels): a decompression bomb."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)  # 8-bit grey
    rows = zlib.compress(b"\x00" * (side + 1) * 4, 9)  # a few rows; the rest never comes
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + \
        chunk(b"IEND", b"")


HTML_ERROR = (b"<!DOCTYPE html><html><head><title>URL signature expired</title></head>"
              b"<body><h1>403</h1>URL signature expired</body></html>")
