"""Confine paths named by import files to the import root.

Import files come from users, so every image or sidecar path they name is treated as hostile:
it must be a plain relative POSIX path, and its real location, after following symlinks, must be
inside the real location of the import root.
"""

from __future__ import annotations

import os
from pathlib import Path

MAX_RELATIVE_PATH_CHARS = 1024


class PathOutsideRoot(ValueError):
    """A path from an import file is malformed or does not stay inside the import root."""


def _quote(relative: str) -> str:
    # repr() escapes NUL and surrogates, so the message itself is always storable text.
    if len(relative) > 80:
        return repr(relative[:80]) + "..."
    return repr(relative)


def normalize_relative(relative: str) -> str:
    """Check the lexical rules for a relative path and return its canonical POSIX form.

    The canonical form drops ``.`` segments and repeated or trailing slashes:
    ``"./images//a.jpg"`` -> ``"images/a.jpg"``. Nothing is decoded: ``"%2e%2e/a.jpg"`` names a
    folder called ``%2e%2e``.

    Raises PathOutsideRoot for an empty path, one longer than MAX_RELATIVE_PATH_CHARS, one with a
    NUL character, a backslash (a Windows separator we would otherwise read as part of a name) or
    a lone surrogate, an absolute path, a ``..`` segment, or a path that names no file (``"."``).
    """
    if not relative:
        raise PathOutsideRoot("path is empty")
    if len(relative) > MAX_RELATIVE_PATH_CHARS:
        raise PathOutsideRoot(
            f"path {_quote(relative)} is {len(relative)} characters long; "
            f"the limit is {MAX_RELATIVE_PATH_CHARS}"
        )
    if "\x00" in relative:
        raise PathOutsideRoot(f"path {_quote(relative)} contains a NUL character")
    if "\\" in relative:
        raise PathOutsideRoot(f"path {_quote(relative)} contains a backslash; use '/'")
    try:
        relative.encode("utf-8")
    except UnicodeEncodeError:
        raise PathOutsideRoot(f"path {_quote(relative)} is not valid Unicode text") from None
    if relative.startswith("/"):
        raise PathOutsideRoot(f"path {_quote(relative)} is absolute; it must be relative")
    segments = relative.split("/")
    if ".." in segments:
        raise PathOutsideRoot(f"path {_quote(relative)} has a '..' segment")
    kept = [segment for segment in segments if segment not in ("", ".")]
    if not kept:
        raise PathOutsideRoot(f"path {_quote(relative)} names no file")
    return "/".join(kept)


def resolve_under(root: Path, relative: str) -> Path:
    """Return the real absolute path of ``relative`` inside ``root``.

    ``relative`` must pass ``normalize_relative``. The result has every symlink resolved, and it
    must lie strictly inside the real path of ``root``: a symlink anywhere on the way that leads
    out of the root is refused, a symlink that stays inside is followed. The file need not exist
    (a missing file is the caller's ``image_missing``); dangling symlinks are followed as far as
    they go, so one pointing outside is refused too.

    Raises PathOutsideRoot with a message that quotes the path.
    """
    normalized = normalize_relative(relative)
    # Plain strings rather than Path objects: this runs once per image of a million-item import.
    real_root = os.path.realpath(root)
    real_path = os.path.realpath(os.path.join(real_root, normalized))
    if real_path == real_root:
        raise PathOutsideRoot(f"path {_quote(relative)} resolves to the import root itself")
    # The separator matters: "/data/root-other" starts with "/data/root" but is not inside it.
    inside_prefix = real_root if real_root.endswith(os.sep) else real_root + os.sep
    if not real_path.startswith(inside_prefix):
        # Only a symlink can get here: the lexical rules above already keep the path inside.
        raise PathOutsideRoot(
            f"path {_quote(relative)} leads outside the import root through a symlink"
        )
    return Path(real_path)
