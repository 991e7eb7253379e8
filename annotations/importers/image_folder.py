"""A folder of images, with optional caption sidecars, walked as a stream."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from annotations.importers import records
from annotations.importers.fields import (
    InvalidRecord,
    display,
    json_type,
    loads_json,
    parse_caption,
    parse_record_fields,
    quote,
    resolve_image,
)
from annotations.importers.paths import PathOutsideRoot, resolve_under
from annotations.importers.records import ErrorCode, ImportRecord, ImportResult, RecordError

# Compared with the lower-cased suffix, so "A.JPG" counts.
IMAGE_SUFFIXES: frozenset[str] = frozenset({".jpg", ".jpeg", ".png", ".webp", ".gif"})


def read_image_folder(folder: Path) -> Iterator[ImportResult]:
    """Read every image under ``folder``, recursively, in a stable order, one at a time.

    Example layout (the folder is the import root)::

        photos/
          astronaut.jpg    astronaut.txt   -> caption "An astronaut on a spacewalk." (stripped)
          beach/dog.PNG    beach/dog.json  -> {"id": "dog-1", "caption": "A dog.", "facts": [...]}
          beach/cat.webp                   -> no sidecar: caption None

    Images are files whose lower-cased suffix is one of IMAGE_SUFFIXES. Order: in each folder,
    its images by name (code-point order), then its subfolders by name, depth first. Names
    starting with ``.`` are skipped (``.git``, macOS ``._x.jpg`` resource forks). Symlinked
    folders are not entered; a symlinked image is used only if its real path is inside the
    folder (else ``path_outside_root``); a dangling one is ``image_missing``.

    Sidecars sit next to the image with the same stem and a lower-case suffix: ``NAME.json`` is
    an object with the optional ``id``, ``caption``, ``facts``, ``vqa`` and ``metadata`` of a JSONL
    record (other keys, such as those img2dataset writes, are ignored; the caption is kept
    exactly); ``NAME.txt`` is UTF-8 text (a byte-order mark is allowed), stripped. When both
    exist, the JSON's caption wins and the text file fills in only when the JSON has none.
    Sidecars are held to the same symlink rule as images. ``a.jpg`` and ``a.png`` share the
    sidecars ``a.txt``/``a.json``.

    Without an ``id`` in a JSON sidecar, the id is the image path relative to the folder
    (``"beach/dog.PNG"``). Sources are ``"photos/beach/dog.PNG"`` (the folder's name, then the
    image's relative path); a sidecar's problems are reported on its image's source.
    """
    root = Path(os.path.realpath(folder))
    label = display(folder.name or root.name)
    for found in _walk_images(root, label):
        if isinstance(found, RecordError):
            yield found
            continue
        source = f"{label}/{display(found)}"
        try:
            yield _image_record(root, found, source=source)
        except InvalidRecord as invalid:
            yield invalid.at(source)


def _walk_images(root: Path, label: str) -> Iterator[str | RecordError]:
    """Yield the relative POSIX paths of the images under ``root`` in the documented order.

    Only the folder being listed has its names in memory (they must be sorted); of the rest of
    the tree, only the folders still to visit are held.
    """
    # Folders still to list, relative to the root ("" is the root), the next one last.
    pending = [""]
    while pending:
        folder = pending.pop()
        images: list[str] = []
        subfolders: list[str] = []
        try:
            with os.scandir(root / folder) as entries:
                for entry in entries:
                    if entry.name.startswith("."):
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        subfolders.append(entry.name)
                    elif os.path.splitext(entry.name)[1].lower() in IMAGE_SUFFIXES:
                        images.append(entry.name)
        except OSError as error:
            yield RecordError(
                f"{label}/{display(folder)}" if folder else label,
                ErrorCode.UNREADABLE_SOURCE,
                f"cannot list the folder: {error.strerror}",
            )
            continue
        prefix = f"{folder}/" if folder else ""
        for name in sorted(images):
            yield prefix + name
        pending.extend(prefix + name for name in sorted(subfolders, reverse=True))


def _image_record(root: Path, relative: str, *, source: str) -> ImportRecord:
    image = resolve_image(root, relative, field="image")
    stem = PurePosixPath(relative).with_suffix("").as_posix()
    json_sidecar = _sidecar(root, f"{stem}.json")
    text_sidecar = _sidecar(root, f"{stem}.txt")
    if json_sidecar is None:
        caption = _text_caption(text_sidecar) if text_sidecar is not None else None
        return ImportRecord(
            external_id=image.relative,
            image_path=image.path,
            caption=caption,
            facts=(),
            vqa=(),
            metadata={},
            source=source,
        )
    sidecar = _json_sidecar(json_sidecar)
    own_caption = sidecar.get("caption")
    default_caption = None
    if not (isinstance(own_caption, str) and own_caption.strip()) and text_sidecar is not None:
        default_caption = _text_caption(text_sidecar)
    try:
        fields = parse_record_fields(sidecar, default_caption=default_caption)
    except InvalidRecord as invalid:
        raise _in_sidecar(invalid, json_sidecar) from None
    return ImportRecord(
        external_id=fields.external_id if fields.external_id is not None else image.relative,
        image_path=image.path,
        caption=fields.caption,
        facts=fields.facts,
        vqa=fields.vqa,
        metadata=fields.metadata,
        source=source,
    )


def _sidecar(root: Path, relative: str) -> Path | None:
    """The real path of a sidecar, or None when there is no regular file by that name."""
    try:
        path = resolve_under(root, relative)
    except PathOutsideRoot as error:
        raise InvalidRecord(ErrorCode.PATH_OUTSIDE_ROOT, f"sidecar: {error}") from None
    try:
        return path if path.is_file() else None
    except OSError as error:
        raise InvalidRecord(
            ErrorCode.UNREADABLE_SOURCE,
            f"sidecar {quote(relative)} cannot be read: {error.strerror}",
        ) from None


def _read_sidecar(path: Path) -> bytes:
    try:
        with path.open("rb") as file:
            # One byte over the limit tells a too-large file without reading all of it.
            data = file.read(records.MAX_RECORD_BYTES + 1)
    except OSError as error:
        raise InvalidRecord(
            ErrorCode.UNREADABLE_SOURCE, f"cannot be read: {error.strerror}"
        ) from None
    if len(data) > records.MAX_RECORD_BYTES:
        raise InvalidRecord(
            ErrorCode.RECORD_TOO_LARGE, f"is larger than {records.MAX_RECORD_BYTES} bytes"
        )
    return data


def _in_sidecar(invalid: InvalidRecord, path: Path) -> InvalidRecord:
    # The record's source names the image, so the message names the sidecar.
    return InvalidRecord(invalid.code, f"{display(path.name)}: {invalid.message}")


def _json_sidecar(path: Path) -> dict[str, Any]:
    try:
        sidecar = loads_json(_read_sidecar(path))
    except InvalidRecord as invalid:
        raise _in_sidecar(invalid, path) from None
    if not isinstance(sidecar, dict):
        raise _in_sidecar(
            InvalidRecord(
                ErrorCode.INVALID_RECORD, f"must hold an object, not {json_type(sidecar)}"
            ),
            path,
        )
    return sidecar


def _text_caption(path: Path) -> str | None:
    try:
        data = _read_sidecar(path)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise InvalidRecord(
                ErrorCode.INVALID_TEXT, f"is not UTF-8 text ({error.reason})"
            ) from None
        return parse_caption(text, field="caption", strip=True)
    except InvalidRecord as invalid:
        raise _in_sidecar(invalid, path) from None
