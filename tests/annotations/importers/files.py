"""Helpers that write import inputs into a test's tmp_path."""

from __future__ import annotations

import json
import os
from pathlib import Path

from PIL import Image


def touch(path: Path) -> Path:
    """An empty file: the parsers check that images exist, never what is in them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def write_png(path: Path) -> Path:
    """A real 2x2 PNG, for the tests that should look like real data."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (2, 2), (200, 30, 30)).save(path, format="PNG")
    return path


def write_json(path: Path, document: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def write_lines(path: Path, lines: list[str]) -> Path:
    """A JSONL file from raw lines, so tests can write malformed ones."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes("".join(f"{line}\n" for line in lines).encode("utf-8"))
    return path


def line(record: object) -> str:
    return json.dumps(record)


def real(path: Path) -> Path:
    """What the parsers report: every symlink (tmp_path's own included) resolved."""
    return Path(os.path.realpath(path))
