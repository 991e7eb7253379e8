"""Benchmark: kd_import of a JSONL file with many records over a few images.

Writes the images and the JSONL to a temporary folder, runs ``manage.py kd_import`` twice in a
fresh process (first import, then the re-import that must add nothing), and appends the command,
the machine and kd_import's own summary lines to bench/results/import_jsonl.txt.

    python bench/import_jsonl.py --records 10000 --images 5

Uses DATABASE_URL when set, else the embedded Postgres under KD_DATA_DIR (default .kd-bench/).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "import_jsonl.txt"
COLOURS = ["red", "green", "blue", "orange", "purple", "teal", "gold", "navy"]


def write_inputs(folder: Path, records: int, images: int) -> Path:
    (folder / "images").mkdir()
    for number in range(images):
        # A distinct colour per image (up to 65,536), saved losslessly so that no two files
        # share a hash: a JPEG encoder would merge neighbouring colours.
        rgb = (number % 256, (number // 256) % 256, 128)
        Image.new("RGB", (640, 480), rgb).save(folder / "images" / f"{number}.png", "PNG")
    source = folder / "records.jsonl"
    with source.open("w", encoding="utf-8") as out:
        for number in range(records):
            colour = COLOURS[(number % images) % len(COLOURS)]
            caption = f"A plain {colour} rectangle, record {number}, filling the whole frame."
            out.write(
                json.dumps(
                    {
                        "id": f"record-{number}",
                        "image": f"images/{number % images}.png",
                        "caption": caption,
                        "facts": [
                            {
                                "kind": "attribute",
                                "subject": "rectangle",
                                "predicate": "colour",
                                "value": colour,
                                "span": [8, 8 + len(colour)],
                            },
                            {
                                "kind": "scene",
                                "subject": "frame",
                                "predicate": "is",
                                "value": "filled",
                            },
                        ],
                        "vqa": [{"question": "What colour is the rectangle?", "answer": colour}],
                    }
                )
                + "\n"
            )
    return source


def kd_import(slug: str, source: Path, env: dict[str, str]) -> tuple[float, list[str]]:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "manage.py", "kd_import", "--dataset", slug, str(source)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return time.monotonic() - started, result.stdout.strip().splitlines()[:3]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--images", type=int, default=5)
    arguments = parser.parse_args()
    env = dict(os.environ)
    env.setdefault("KD_DATA_DIR", str(REPO / ".kd-bench"))
    slug = f"bench-{datetime.now(UTC).strftime('%Y%m%d%H%M%S')}"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"], cwd=REPO, env=env, check=True
    )
    with tempfile.TemporaryDirectory() as folder:
        source = write_inputs(Path(folder), arguments.records, arguments.images)
        first_seconds, first = kd_import(slug, source, env)
        again_seconds, again = kd_import(slug, source, env)
    command = (
        f"python bench/import_jsonl.py --records {arguments.records} --images {arguments.images}"
    )
    database = "DATABASE_URL" if os.environ.get("DATABASE_URL") else "embedded Postgres"
    lines = [
        f"## {datetime.now(UTC).isoformat(timespec='seconds')}",
        f"command: {command}",
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {database}",
        f"first import, whole process {first_seconds:.1f} s:",
        *(f"  {line}" for line in first),
        f"re-import, whole process {again_seconds:.1f} s:",
        *(f"  {line}" for line in again),
        "",
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
