"""Builders for image test inputs, made with Pillow at test time (no binary fixtures)."""

from __future__ import annotations

import io
import random
import struct
import zlib

from PIL import ExifTags, Image

RED = (255, 0, 0)
BLUE = (0, 0, 255)
GREY = (128, 128, 128)

XMP_PACKET = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>creator-secret</x:xmpmeta>"


def encode(image: Image.Image, image_format: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **params)
    return buffer.getvalue()


def noise(size: tuple[int, int], *, seed: int = 1) -> Image.Image:
    """An RGB image of random pixels: compresses badly, so a cut lands inside pixel data."""
    width, height = size
    return Image.frombytes("RGB", size, random.Random(seed).randbytes(width * height * 3))


def marked(size: tuple[int, int]) -> Image.Image:
    """Grey RGB image with RED at stored (0, 0) and BLUE at the end of the first stored row."""
    image = Image.new("RGB", size, GREY)
    image.putpixel((0, 0), RED)
    image.putpixel((size[0] - 1, 0), BLUE)
    return image


def halves(size: tuple[int, int]) -> Image.Image:
    """RGB image whose left half is RED and right half BLUE, as stored (before orientation)."""
    width, height = size
    image = Image.new("RGB", size, BLUE)
    image.paste(RED, (0, 0, width // 2, height))
    return image


def exif_with(orientation: int, *, with_gps: bool = False) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    if with_gps:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps[ExifTags.GPS.GPSLatitudeRef] = "N"
        gps[ExifTags.GPS.GPSLatitude] = (52.0, 31.0, 12.0)
    return exif


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` RGB pixels but carries almost no data.

    Decoding it would allocate width*height*3 bytes; a validator must refuse it from the header.
    """

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + chunk(b"IEND", b"")
    )


def two_frame_gif() -> bytes:
    """An 8x8 GIF whose first frame is RED and second frame BLUE."""
    palette = [0, 0, 0, *RED, *BLUE] + [0] * (256 * 3 - 9)
    first = Image.new("P", (8, 8), 1)
    first.putpalette(palette)
    second = first.copy()
    second.paste(2, (0, 0, 8, 8))
    return encode(first, "GIF", save_all=True, append_images=[second])
