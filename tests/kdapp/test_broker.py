"""The embedded broker delivers every message exactly once, in order, across processes."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from queue import Empty

from kombu import Connection

from kdapp.embedded.broker import TRANSPORT_PATH, transport_options


def connect(broker_dir: Path) -> Connection:
    return Connection(
        "filesystem://localhost/",
        transport=TRANSPORT_PATH,
        transport_options=transport_options(broker_dir),
    )


def test_messages_come_back_in_publish_order(tmp_path: Path) -> None:
    with connect(tmp_path) as connection:
        queue = connection.SimpleQueue("ordering")
        for number in range(5):
            queue.put({"n": number})
        received = []
        for _ in range(5):
            message = queue.get(timeout=1)
            received.append(message.payload["n"])
            message.ack()
        queue.close()
    assert received == [0, 1, 2, 3, 4]
    # Nothing is left staged or claimed once every message is acknowledged.
    assert list((tmp_path / "queue").iterdir()) == []
    assert list((tmp_path / "tmp").iterdir()) == []
    assert list((tmp_path / "claimed").iterdir()) == []


def _drain(broker_dir: str, results: multiprocessing.Queue[list[int]]) -> None:
    received: list[int] = []
    with connect(Path(broker_dir)) as connection:
        queue = connection.SimpleQueue("race")
        while True:
            try:
                message = queue.get(timeout=0.5)
            except Empty:
                break
            received.append(message.payload["n"])
            message.ack()
        queue.close()
    results.put(received)


def test_competing_consumers_each_get_a_message_exactly_once(tmp_path: Path) -> None:
    total = 400
    with connect(tmp_path) as connection:
        queue = connection.SimpleQueue("race")
        for number in range(total):
            queue.put({"n": number})
        queue.close()

    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue[list[int]] = context.Queue()
    consumers = [context.Process(target=_drain, args=(str(tmp_path), results)) for _ in range(4)]
    for consumer in consumers:
        consumer.start()
    batches = [results.get(timeout=60) for _ in consumers]
    for consumer in consumers:
        consumer.join(timeout=10)

    delivered = [number for batch in batches for number in batch]
    assert len(delivered) == total
    assert sorted(delivered) == list(range(total))
    # Every consumer saw its share in publish order.
    assert all(batch == sorted(batch) for batch in batches)
