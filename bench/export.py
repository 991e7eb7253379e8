"""Benchmark: the streaming JSONL export of a large dataset, through a real web server.

Seeds datasets of the requested sizes directly in the database with COPY (items with an
imported caption of 12 words, two facts (one with a span and an entity-free value) and one VQA
pair each; the image rows point at content hashes, no image files are needed to stream JSONL),
starts gunicorn (one worker) on the same database, streams
``GET /api/v1/datasets/{id}/export.jsonl?status=any`` with an export token, and measures
records per second and the server process's peak resident memory (sampled every 50 ms).

    python bench/export.py --items 100000 --items 1000000

Uses DATABASE_URL when set, else the embedded Postgres under KD_DATA_DIR (default .kd-bench/).
Seeded datasets (slug kd_bench_export_<n>) are kept for the next run. Appends the command, the
machine and the figures to bench/results/export.txt.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shlex
import sys
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.seeding import REPO, free_port, machine, serve, setup_django

RESULTS = REPO / "bench" / "results" / "export.txt"

CAPTION = "A red bicycle leans against a white fence beside two green trash cans outside."
KIND_COUNTS = '{"attribute": 1, "count": 1}'  # the two facts of every item's caption
# entity_gaps is {}: no fact of the caption links to a knowledge-base entity.


def seed(size: int) -> int:
    """The dataset of ``size`` items, created with COPY when missing; returns its id."""
    from django.db import connection, transaction

    from annotations.models import Dataset

    slug = f"kd_bench_export_{size}"
    existing = Dataset.objects.filter(slug=slug).first()
    if existing is not None and existing.items.count() == size:
        return existing.pk
    if existing is not None:
        from annotations.services.audit import Actor
        from annotations.services.datasets import dataset_delete

        dataset_delete(dataset=existing, actor=Actor.system("bench"))
    dataset = Dataset.objects.create(slug=slug, name=f"Export benchmark, {size:,} items")
    started = time.monotonic()
    now = datetime.now(UTC).isoformat()
    with transaction.atomic(), connection.cursor() as wrapper:
        cursor = wrapper.cursor
        columns = (
            "dataset_id, external_id, image_sha256, image_path, width, height, mime, byte_size,"
            " source, metadata, status, created_at, updated_at, fact_count, density, coverage,"
            " vqa_support, kind_counts, entity_gaps, priority"
        )
        with cursor.copy(f"COPY annotations_item ({columns}) FROM STDIN") as copy:
            for number in range(size):
                sha = hashlib.sha256(f"{slug}:{number}".encode()).hexdigest()
                copy.write_row(
                    (
                        dataset.pk, f"item-{number:07d}", sha,
                        f"images/{sha[:2]}/{sha[2:4]}/{sha}.jpg", 640, 480, "image/jpeg",
                        50_000, "bench", "{}", "done", now, now, 2, 2 * 100 / 12, 0.5, 1.0,
                        KIND_COUNTS, "{}", 0,
                    )
                )  # fmt: skip
        cursor.execute(
            "INSERT INTO annotations_caption (item_id, text, origin, model_name, word_count,"
            " fact_count, density, coverage, vqa_support, created_at)"
            " SELECT id, %s, 'import', '', 12, 2, %s, 0.5, 1.0, now()"
            " FROM annotations_item WHERE dataset_id = %s ORDER BY id",
            [CAPTION, 2 * 100 / 12, dataset.pk],
        )
        cursor.execute(
            "UPDATE annotations_item AS item SET current_caption_id = caption.id"
            " FROM annotations_caption AS caption"
            " WHERE caption.item_id = item.id AND item.dataset_id = %s",
            [dataset.pk],
        )
        cursor.execute(
            "INSERT INTO annotations_fact (caption_id, position, kind, subject, predicate, value,"
            " span_start, span_end, source, created_at)"
            " SELECT caption.id, f.position, f.kind, f.subject, f.predicate, f.value, f.s, f.e,"
            " 'import', now()"
            " FROM annotations_caption AS caption"
            " JOIN annotations_item AS item ON item.id = caption.item_id"
            " CROSS JOIN (VALUES (0, 'attribute', 'bicycle', 'color', 'red', 2, 5),"
            "                    (1, 'count', 'trash can', 'count', '2', NULL, NULL))"
            "   AS f(position, kind, subject, predicate, value, s, e)"
            " WHERE item.dataset_id = %s",
            [dataset.pk],
        )
        cursor.execute(
            "INSERT INTO annotations_vqapair (item_id, question, answer, digest, origin,"
            " is_supported, created_at)"
            " SELECT id, 'What color is the bicycle?', 'red', md5(id::text) || md5(id::text),"
            " 'import', true, now() FROM annotations_item WHERE dataset_id = %s",
            [dataset.pk],
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    sys.stdout.write(f"seeded {size:,} items in {time.monotonic() - started:.0f} s\n")
    return dataset.pk


def measure(dataset_id: int, secret: str, port: int, server_pid: int) -> dict[str, float]:
    import psutil

    process = psutil.Process(server_pid)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            try:
                rss = process.memory_info().rss + sum(
                    child.memory_info().rss for child in process.children(recursive=True)
                )
            except psutil.Error:
                rss = 0
            peak = max(peak, rss)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/datasets/{dataset_id}/export.jsonl?status=any",
        headers={"Authorization": f"Bearer {secret}"},
    )
    records = 0
    received = 0
    started = time.monotonic()
    with urllib.request.urlopen(request, timeout=3600) as response:  # noqa: S310 (http only)
        last = b""
        while chunk := response.read(1 << 20):
            received += len(chunk)
            records += chunk.count(b"\n")
            last = chunk
    seconds = time.monotonic() - started
    done.set()
    sampler.join()
    json.loads(last.rstrip(b"\n").rsplit(b"\n", 1)[-1])  # the last line is a whole record
    return {
        "records": records,
        "seconds": seconds,
        "rate": records / seconds,
        "mb": received / 1e6,
        "peak_rss_mb": peak / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, action="append", required=True)
    args = parser.parse_args()
    setup_django()
    from django.contrib.auth.models import User
    from django.db import connections

    from annotations.services.audit import Actor
    from annotations.services.tokens import token_create

    ids = {size: seed(size) for size in args.items}
    user, _ = User.objects.get_or_create(username="kd-bench", defaults={"is_staff": True})
    _, secret = token_create(
        user=user,
        name="export benchmark",
        scopes=["export:read"],
        dataset=None,
        expires_at=None,
        actor=Actor.system("bench"),
    )
    connections.close_all()
    port = free_port()
    with serve(port) as server:
        lines = [
            f"## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            f"command: python bench/export.py {shlex.join(sys.argv[1:])}",
            f"machine: {machine()}",
        ]
        for size in args.items:
            result = measure(ids[size], secret, port, server.pid)
            assert result["records"] == size, result
            lines.append(
                f"{size:>9,} items: {result['records']:,} records in {result['seconds']:.1f} s,"
                f" {result['rate']:,.0f} records/s, {result['mb']:.0f} MB,"
                f" server peak RSS {result['peak_rss_mb']:.0f} MB"
            )
        lines.append("")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
