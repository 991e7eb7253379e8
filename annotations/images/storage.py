"""Content-addressed image files and their cached renditions under ``MEDIA_ROOT``.

Every import path stores images through ``store_image`` (or ``store_image_file``), which
validates with ``decode_image`` and writes ``images/<sha[:2]>/<sha[2:4]>/<sha>.<ext>``. The name
comes from the hash only, never from a caller's filename, so a hostile name cannot choose where
bytes land or how they are served.

The hash is the SHA-256 of the bytes *as received*, before any re-encoding. That is the identity
used to deduplicate within a dataset: the same upload twice has one hash however the stored copy
is encoded, and it does not change if Pillow's encoder output changes between versions. It is
therefore not the hash of the stored file when the stored file is a stripped re-encode.

Writes are atomic (temporary file in the same folder, fsync, ``os.replace``) and write-once: a
path that already exists is never rewritten. The first stored copy wins, so turning
``KD_IMAGE_KEEP_ORIGINAL`` on or off later does not change files already stored.

Settings are read inside each function, never at import, so tests and management commands can
override them.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from django.conf import settings

from annotations.images.validation import (
    EXTENSION_BY_FORMAT,
    MIME_BY_EXTENSION,
    ImageRejected,
    decode_image,
    encode_stripped,
    render_rendition,
    too_large_message,
)

RenditionKind = Literal["thumbnail", "preview"]

RENDITION_MAX_SIDE: Final[dict[str, int]] = {"thumbnail": 256, "preview": 1024}

IMAGES_FOLDER: Final = "images"
RENDITIONS_FOLDER: Final = "renditions"

_FILE_MODE: Final = 0o644

# The only shape a stored path can have. Matching it whole rules out "..", absolute paths,
# backslashes, NUL and look-alike characters before the filesystem is consulted at all.
_STORED_PATH: Final = re.compile(
    r"images/(?P<first>[0-9a-f]{2})/(?P<second>[0-9a-f]{2})/"
    r"(?P<sha>[0-9a-f]{64})\.(?P<extension>jpg|png|webp|gif)"
)


class InvalidStoredPathError(ValueError):
    """A stored path that is not a file this module wrote under ``MEDIA_ROOT/images``."""


@dataclass(frozen=True)
class StoredImage:
    """An image stored under ``MEDIA_ROOT``.

    ``sha256`` is the hex SHA-256 of the original bytes as received (the dedupe identity, see the
    module docstring); ``width`` and ``height`` are the upright size, after EXIF orientation,
    even when the stored file is the original; ``mime`` and ``byte_size`` describe the stored
    file; ``path`` is relative to ``MEDIA_ROOT`` in POSIX form.
    """

    sha256: str
    width: int
    height: int
    mime: str
    byte_size: int
    path: str


def store_image(data: bytes) -> StoredImage:
    """Validate ``data`` and store it content-addressed; idempotent for the same bytes.

    Stores the upright, metadata-free re-encode (GIF becomes PNG), or, when
    ``KD_IMAGE_KEEP_ORIGINAL`` is on, the bytes exactly as received: that file keeps its EXIF
    (orientation, GPS and all), so it must be rotated by its reader and never served inline as
    is. Raises ``ImageRejected`` (see ``decode_image``) and ``OSError`` when writing fails.
    """
    decoded = decode_image(
        data,
        max_pixels=settings.KD_IMAGE_MAX_PIXELS,
        max_bytes=settings.KD_IMAGE_MAX_BYTES,
        allow_gif=settings.KD_IMAGE_ALLOW_GIF,
    )
    if settings.KD_IMAGE_KEEP_ORIGINAL:
        payload = data
        extension = EXTENSION_BY_FORMAT[decoded.format]
    else:
        payload, extension = encode_stripped(decoded)
    decoded.image.close()

    sha256 = hashlib.sha256(data).hexdigest()
    relative = f"{IMAGES_FOLDER}/{sha256[:2]}/{sha256[2:4]}/{sha256}.{extension}"
    final = _media_root() / relative
    _write_once(final, payload)
    return StoredImage(
        sha256=sha256,
        width=decoded.width,
        height=decoded.height,
        mime=MIME_BY_EXTENSION[extension],
        # The file on disk, which may be an earlier writer's copy of the same upload.
        byte_size=final.stat().st_size,
        path=relative,
    )


def store_image_file(path: Path) -> StoredImage:
    """Store the image file at ``path``, reading at most ``KD_IMAGE_MAX_BYTES + 1`` bytes.

    ``path`` must already be a path the caller is allowed to read (server-path and archive
    imports validate it first); this function does not confine it. Raises ``ImageRejected``
    with ``image_too_large_bytes`` for a bigger file without reading the rest, otherwise as
    ``store_image``, and ``OSError`` when the file cannot be read.
    """
    max_bytes: int = settings.KD_IMAGE_MAX_BYTES
    with Path(path).open("rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ImageRejected("image_too_large_bytes", too_large_message(max_bytes))
    return store_image(data)


def stored_file_path(stored_path: str) -> Path:
    """Return the absolute path of a stored image after checking it lies in ``MEDIA_ROOT/images``.

    Raises ``InvalidStoredPathError`` for anything but ``images/<aa>/<bb>/<sha256>.<ext>`` with
    matching shards, and for a path that resolves outside ``MEDIA_ROOT/images`` through a link.
    """
    match = _STORED_PATH.fullmatch(stored_path)
    if match is None or match["first"] != match["sha"][:2] or match["second"] != match["sha"][2:4]:
        raise InvalidStoredPathError(f"{stored_path!r} is not a stored image path.")
    images_root = (_media_root() / IMAGES_FOLDER).resolve()
    absolute = _media_root() / stored_path
    if not absolute.resolve().is_relative_to(images_root):
        raise InvalidStoredPathError(f"{stored_path!r} resolves outside the image store.")
    return absolute


def rendition_path(stored_path: str, kind: str) -> Path:
    """Return where the ``kind`` rendition of ``stored_path`` is cached (it may not exist yet).

    The result is absolute: ``MEDIA_ROOT/renditions/<kind>/<aa>/<bb>/<sha256>.jpg``. Raises
    ``ValueError`` for an unknown kind and ``InvalidStoredPathError`` as ``stored_file_path``.
    """
    if kind not in RENDITION_MAX_SIDE:
        raise ValueError(
            f"Unknown rendition kind {kind!r}; use one of {sorted(RENDITION_MAX_SIDE)}."
        )
    sha256 = stored_file_path(stored_path).stem
    return _media_root() / RENDITIONS_FOLDER / kind / sha256[:2] / sha256[2:4] / f"{sha256}.jpg"


def ensure_rendition(stored_path: str, kind: RenditionKind) -> Path:
    """Return the cached JPEG rendition of a stored image, generating it on first use.

    A thumbnail's longest side is at most 256 pixels and a preview's at most 1024; smaller
    images are not enlarged. The rendition is upright even when the stored file is an original
    with an EXIF orientation. Raises ``InvalidStoredPathError`` or ``ValueError`` as
    ``rendition_path``, ``FileNotFoundError`` when the stored file is missing, and
    ``ImageRejected`` when it no longer decodes within ``KD_IMAGE_MAX_PIXELS``.
    """
    target = rendition_path(stored_path, kind)
    if target.exists():
        return target
    source = stored_file_path(stored_path)
    data = source.read_bytes()
    decoded = decode_image(
        data,
        max_pixels=settings.KD_IMAGE_MAX_PIXELS,
        # The byte cap guards the wire. This file was written here after validation, and a
        # re-encode can legitimately be larger than the upload it came from.
        max_bytes=max(len(data), 1),
        # Only a file stored while GIFs were allowed has this extension.
        allow_gif=source.suffix == ".gif",
    )
    payload = render_rendition(decoded, max_side=RENDITION_MAX_SIDE[kind])
    decoded.image.close()
    _write_once(target, payload)
    return target


def _media_root() -> Path:
    return Path(settings.MEDIA_ROOT)


def _write_once(final: Path, payload: bytes) -> None:
    """Atomically create ``final`` with ``payload`` (mode 0o644) unless it already exists.

    Readers never see a partial file: the bytes are fsynced in a temporary file in the same
    folder and renamed into place. Two writers racing past the existence check both rename
    complete files holding the same bytes (same input, deterministic encoder), so the loser's
    rename is harmless. A crash can leave a ``.<name>.*.tmp`` file behind, never a short image.
    """
    if final.exists():
        return
    final.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        dir=final.parent, prefix=f".{final.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(payload)
            handle.flush()
            # mkstemp creates 0o600; set the mode explicitly so the umask does not decide it.
            os.fchmod(handle.fileno(), _FILE_MODE)
            os.fsync(handle.fileno())
        os.replace(temporary, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _fsync_folder(final.parent)


def _fsync_folder(folder: Path) -> None:
    # The rename is only durable once the folder entry is on disk.
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
