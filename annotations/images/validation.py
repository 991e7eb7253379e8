"""Decide whether bytes are an acceptable image, and produce upright, metadata-free encodings.

Plain Python and Pillow, no Django, so every import path (upload, URL, server path, archive) and
the fuzzing harness can call it alone. Every refusal is an ``ImageRejected`` with a stable
``code``; nothing else escapes ``decode_image`` for bad input except ``MemoryError``.

The rules follow the Pillow hardening notes (reliability-security.md, section 2.5): bytes are
capped before Pillow sees them, ``Image.open`` only ever tries the allow-listed decoders, the
pixel limit is an error rather than Pillow's warning, and acceptance means a full ``load()``
succeeded, because ``verify()`` passes truncated JPEGs. ``ImageFile.LOAD_TRUNCATED_IMAGES`` is
never enabled: it would silently grey-fill the missing part.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Final, Literal

from PIL import Image, ImageOps, UnidentifiedImageError

ImageFormat = Literal["JPEG", "PNG", "WEBP", "GIF"]

RejectionCode = Literal[
    "image_empty",
    "image_too_large_bytes",
    "image_format_not_allowed",
    "image_too_many_pixels",
    "image_truncated",
    "image_unreadable",
]

MIME_BY_FORMAT: Final[dict[ImageFormat, str]] = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
}

EXTENSION_BY_FORMAT: Final[dict[ImageFormat, str]] = {
    "JPEG": "jpg",
    "PNG": "png",
    "WEBP": "webp",
    "GIF": "gif",
}

MIME_BY_EXTENSION: Final[dict[str, str]] = {
    EXTENSION_BY_FORMAT[image_format]: mime for image_format, mime in MIME_BY_FORMAT.items()
}

STRIPPED_QUALITY: Final = 92
RENDITION_QUALITY: Final = 85

# Leading bytes of the allowed formats. Pillow only reports "cannot identify"; these let us tell
# a damaged file of an allowed format (image_unreadable) from a different format altogether
# (image_format_not_allowed). They never decide acceptance: Pillow's decoder does.
_SIGNATURES: Final[tuple[tuple[ImageFormat, bytes], ...]] = (
    ("JPEG", b"\xff\xd8\xff"),
    ("PNG", b"\x89PNG\r\n\x1a\n"),
    ("GIF", b"GIF87a"),
    ("GIF", b"GIF89a"),
)

_FORMATS_WITHOUT_GIF: Final[tuple[ImageFormat, ...]] = ("JPEG", "PNG", "WEBP")
_FORMATS_WITH_GIF: Final[tuple[ImageFormat, ...]] = ("JPEG", "PNG", "WEBP", "GIF")

# Pillow's JPEG opener returns an MPO image for camera JPEGs carrying extra frames (depth maps,
# previews); it is a JPEG whose first frame is the photo.
_FORMAT_BY_PILLOW_NAME: Final[dict[str, ImageFormat]] = {
    "JPEG": "JPEG",
    "MPO": "JPEG",
    "PNG": "PNG",
    "WEBP": "WEBP",
    "GIF": "GIF",
}

_SIXTEEN_BIT_GRAY_MODES: Final = frozenset({"I", "I;16", "I;16L", "I;16B", "I;16N"})
_ALPHA_MODES: Final = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})
# Modes whose embedded ICC profile describes RGB values, so it still fits after conversion to
# RGB/RGBA. A grey or CMYK profile would misdescribe the converted pixels and is dropped.
_RGB_PROFILE_MODES: Final = frozenset({"RGB", "RGBA", "RGBa", "RGBX", "P", "PA"})


class ImageRejected(Exception):
    """The bytes are not an image this application accepts.

    ``code`` is stable and machine-readable (one of ``RejectionCode``); ``message`` is a sentence
    for a person that says what was wrong with the file.
    """

    def __init__(self, code: RejectionCode, message: str) -> None:
        super().__init__(message)
        self.code: str = code
        self.message: str = message


# eq=False: comparing two decoded images field by field would compare every pixel; identity is
# what callers mean. Frozen keeps the metadata honest; callers must not mutate ``image`` either.
@dataclass(frozen=True, eq=False)
class DecodedImage:
    """A fully decoded, upright image in mode RGB or RGBA with no metadata in ``image.info``.

    ``format`` is the source format (an MPO camera JPEG counts as JPEG), ``mime`` its media type,
    ``width`` and ``height`` the size after EXIF orientation was applied. ``icc_profile`` is the
    source's embedded colour profile when it still describes the converted pixels, else None.
    """

    image: Image.Image
    format: ImageFormat
    mime: str
    width: int
    height: int
    icc_profile: bytes | None = None


def too_large_message(max_bytes: int) -> str:
    """The ``image_too_large_bytes`` message, shared with readers that stop at the limit."""
    return f"The file is larger than the limit of {max_bytes:,} bytes."


def decode_image(data: bytes, *, max_pixels: int, max_bytes: int, allow_gif: bool) -> DecodedImage:
    """Decode ``data`` completely and return it upright, in RGB or RGBA, without metadata.

    Accepts JPEG, PNG and WebP, and GIF (first frame only) when ``allow_gif``. Raises
    ``ImageRejected`` with code ``image_empty``, ``image_too_large_bytes`` (over ``max_bytes``),
    ``image_format_not_allowed``, ``image_too_many_pixels`` (over ``max_pixels``, or over
    Pillow's process-wide ``Image.MAX_IMAGE_PIXELS``, whichever is lower), ``image_truncated``
    or ``image_unreadable``. Raises ``ValueError`` when a limit is below 1.
    """
    if max_pixels < 1 or max_bytes < 1:
        raise ValueError("max_pixels and max_bytes must be at least 1.")
    if not data:
        raise ImageRejected("image_empty", "The file is empty (0 bytes).")
    if len(data) > max_bytes:
        raise ImageRejected("image_too_large_bytes", too_large_message(max_bytes))

    allowed = _FORMATS_WITH_GIF if allow_gif else _FORMATS_WITHOUT_GIF
    # max_pixels is enforced by the explicit size check in _open_and_load, made once the header
    # is parsed and before any pixel is decoded. Pillow's global MAX_IMAGE_PIXELS is never
    # changed, so calls with different limits cannot leak into each other or into other Pillow
    # users in the process. Pillow still checks that global inside open() (and for GIF frames
    # inside load()); we turn its warning into an error so a file above Pillow's ceiling is
    # refused rather than decoded with a warning, which makes the effective limit
    # min(max_pixels, Image.MAX_IMAGE_PIXELS). catch_warnings swaps the process-wide filter list
    # and is not thread-safe on Python 3.11: threads interleaving here can leave the "error"
    # filter installed (failing closed), or let one call see Pillow's warning as a warning, in
    # which case only Pillow's own ceiling is missed, never max_pixels. We accept that rather
    # than hold a lock, so that decodes in a threaded server do not queue behind one another.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return _open_and_load(data, allowed, max_pixels)
        except ImageRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageRejected(
                "image_too_many_pixels",
                f"The image has more than {_effective_pixel_limit(max_pixels):,} pixels.",
            ) from exc
        except UnidentifiedImageError as exc:
            raise _unidentified(data, allowed) from exc
        except MemoryError:
            # Running out of memory is the process's problem, not a property of the file; hiding
            # it as "unreadable" would make a sick worker look like bad input.
            raise
        except Exception as exc:
            # Decoders signal damage with OSError, SyntaxError, ValueError, EOFError, struct.error
            # and others; for hostile input the contract is one documented exception type.
            raise _undecodable(exc) from exc


def encode_stripped(decoded: DecodedImage) -> tuple[bytes, str]:
    """Re-encode the upright pixels with no EXIF, GPS, XMP or text chunks.

    JPEG stays JPEG (quality 92), PNG stays PNG, WebP stays WebP (quality 92; whether the source
    was lossless is not detectable), GIF becomes PNG. The colour profile kept in
    ``decoded.icc_profile`` is embedded again: it only says how to read the RGB values (dropping a
    Display P3 profile visibly shifts colours) and carries no location or identity. Returns the
    bytes and the file extension without a dot (``"jpg"``, ``"png"`` or ``"webp"``).
    """
    target: ImageFormat = "PNG" if decoded.format in ("PNG", "GIF") else decoded.format
    # JPEG has no alpha channel; a DecodedImage from decode_image never has one for a JPEG
    # source, but one built by hand might.
    image = _flatten_on_white(decoded.image) if target == "JPEG" else decoded.image.copy()
    # Encoders fall back to image.info for the ICC profile and transparency (PNG), so the copy
    # about to be saved carries nothing but what is passed explicitly below.
    image.info = {}
    options: dict[str, object] = {}
    if decoded.icc_profile:
        options["icc_profile"] = decoded.icc_profile
    if target in ("JPEG", "WEBP"):
        options["quality"] = STRIPPED_QUALITY
    buffer = io.BytesIO()
    image.save(buffer, target, **options)
    return buffer.getvalue(), EXTENSION_BY_FORMAT[target]


def render_rendition(decoded_or_image: DecodedImage | Image.Image, *, max_side: int) -> bytes:
    """Return a JPEG (quality 85, RGB, alpha flattened on white) whose longest side is at most
    ``max_side``, keeping the aspect ratio and never enlarging a smaller image.

    A ``DecodedImage`` is already upright and its colour profile is embedded; a bare
    ``Image.Image`` is used as given (no orientation applied) and without metadata. Raises
    ``ValueError`` when ``max_side`` is below 1.
    """
    if max_side < 1:
        raise ValueError("max_side must be at least 1.")
    icc_profile: bytes | None = None
    if isinstance(decoded_or_image, DecodedImage):
        source = decoded_or_image.image
        icc_profile = decoded_or_image.icc_profile
    else:
        source = decoded_or_image
    image = _flatten_on_white(source)
    image.info = {}
    # thumbnail() only ever shrinks and keeps the aspect ratio, rounding so no side exceeds the
    # box; LANCZOS is the filter that keeps small text and edges legible for annotators.
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    options: dict[str, object] = {"quality": RENDITION_QUALITY}
    if icc_profile:
        options["icc_profile"] = icc_profile
    image.save(buffer, "JPEG", **options)
    return buffer.getvalue()


def _open_and_load(data: bytes, allowed: tuple[ImageFormat, ...], max_pixels: int) -> DecodedImage:
    opened = Image.open(io.BytesIO(data), formats=list(allowed))
    try:
        width, height = opened.size
        if width * height > max_pixels:
            raise ImageRejected(
                "image_too_many_pixels",
                f"The image is {width}x{height} pixels ({width * height:,} in all), over the "
                f"limit of {max_pixels:,} pixels.",
            )
        # For GIF, WebP and APNG this decodes the first frame only; later frames are never read.
        opened.load()
        source_format = _FORMAT_BY_PILLOW_NAME.get(opened.format or "")
        if source_format is None or source_format not in allowed:
            # Unreachable while formats= is honoured; kept so a Pillow change fails closed.
            raise ImageRejected("image_format_not_allowed", _not_allowed_message(allowed))
        source_mode = opened.mode
        profile = opened.info.get("icc_profile")
        ImageOps.exif_transpose(opened, in_place=True)
        upright = _to_rgb_or_rgba(opened)
    finally:
        opened.close()
    upright.info = {}
    kept_profile = (
        profile
        if source_mode in _RGB_PROFILE_MODES and isinstance(profile, bytes) and profile
        else None
    )
    return DecodedImage(
        image=upright,
        format=source_format,
        mime=MIME_BY_FORMAT[source_format],
        width=upright.width,
        height=upright.height,
        icc_profile=kept_profile,
    )


def _to_rgb_or_rgba(image: Image.Image) -> Image.Image:
    """Convert any decoded mode to RGB, or RGBA when the image has transparency; always a copy."""
    if image.mode in _SIXTEEN_BIT_GRAY_MODES:
        # Pillow's direct conversion to L clips 16-bit values at 255, turning most of the image
        # white; scale 0..65535 down to 0..255 instead.
        scaled = image.convert("I").point(lambda value: value * (1 / 256))
        return scaled.convert("L").convert("RGB")
    has_alpha = image.mode in _ALPHA_MODES or "transparency" in image.info
    return image.convert("RGBA" if has_alpha else "RGB")


def _flatten_on_white(image: Image.Image) -> Image.Image:
    """Return a new RGB image: transparent parts composited onto white, never black."""
    converted = _to_rgb_or_rgba(image)
    if converted.mode == "RGB":
        return converted
    background = Image.new("RGB", converted.size, (255, 255, 255))
    background.paste(converted, mask=converted.getchannel("A"))
    return background


def _effective_pixel_limit(max_pixels: int) -> int:
    pillow_limit = Image.MAX_IMAGE_PIXELS
    return max_pixels if pillow_limit is None else min(max_pixels, pillow_limit)


def _allowed_names(allowed: tuple[ImageFormat, ...]) -> str:
    names = ["WebP" if image_format == "WEBP" else image_format for image_format in allowed]
    return ", ".join(names[:-1]) + " or " + names[-1]


def _not_allowed_message(allowed: tuple[ImageFormat, ...]) -> str:
    return f"The file is not a {_allowed_names(allowed)} image."


def _signature_format(data: bytes) -> ImageFormat | None:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    for image_format, signature in _SIGNATURES:
        if data.startswith(signature):
            return image_format
    return None


def _unidentified(data: bytes, allowed: tuple[ImageFormat, ...]) -> ImageRejected:
    claimed = _signature_format(data)
    if claimed is not None and claimed in allowed:
        return _unreadable()
    return ImageRejected("image_format_not_allowed", _not_allowed_message(allowed))


def _unreadable() -> ImageRejected:
    return ImageRejected(
        "image_unreadable",
        "The image could not be decoded: the file is damaged or uses a variant of its format "
        "that is not supported.",
    )


def _undecodable(exc: Exception) -> ImageRejected:
    # Pillow reports a short read as OSError("image file is truncated ...") from load(), or
    # OSError("Truncated File Read") / EOFError when the header itself is cut off.
    if isinstance(exc, EOFError) or (isinstance(exc, OSError) and "truncated" in str(exc).lower()):
        return ImageRejected(
            "image_truncated",
            "The image file is truncated: its data ends before the picture does.",
        )
    return _unreadable()
