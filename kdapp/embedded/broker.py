"""A Celery transport that needs no daemon: messages are files in a folder under the data dir.

Built on kombu's filesystem transport, with its two races closed (see docs/adr/0001):

- publishing writes the message to a private temporary file and renames it into the queue
  folder, so a consumer never sees a half-written message;
- consuming renames the message into a claim folder on the same file system, which is atomic,
  so exactly one consumer wins each message (upstream moves it to the system temp folder, which
  on another file system is a copy plus delete that two consumers can both complete).

The broker is only a doorbell: every job is a row in Postgres, so a message that is lost when a
worker dies between claim and acknowledgement is recovered from the database, not from here.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from queue import Empty
from time import time_ns
from typing import Any, TypedDict

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

TRANSPORT_PATH = "kdapp.embedded.broker:FilesystemTransport"

# Redis redelivers a task that is not acknowledged within this time, even one still running;
# the task time limit must stay well below it (settings enforce half).
REDIS_VISIBILITY_TIMEOUT = 4 * 3600


class BrokerConfig(TypedDict):
    """The Celery settings that follow from CELERY_BROKER_URL (unset: the embedded broker)."""

    broker_url: str
    broker_transport: str | None
    broker_transport_options: dict[str, Any]
    result_backend: str


def broker_config(broker_url: str | None, data_dir: Path) -> BrokerConfig:
    """Broker, transport options and result store for ``broker_url``.

    Raises ``ValueError`` for a URL of a kind KD Studio does not run on.
    """
    if broker_url is None:
        return {
            "broker_url": "filesystem://localhost/",
            "broker_transport": TRANSPORT_PATH,
            "broker_transport_options": transport_options(data_dir / "broker"),
            "result_backend": (data_dir / "results").as_uri(),
        }
    if broker_url.startswith(("redis://", "rediss://")):
        return {
            "broker_url": broker_url,
            "broker_transport": None,
            "broker_transport_options": {
                "visibility_timeout": REDIS_VISIBILITY_TIMEOUT,
                "socket_connect_timeout": 5,
            },
            "result_backend": broker_url,
        }
    if broker_url.startswith(("amqp://", "amqps://", "pyamqp://")):
        return {
            "broker_url": broker_url,
            "broker_transport": None,
            "broker_transport_options": {},
            "result_backend": "rpc://",
        }
    raise ValueError(
        "CELERY_BROKER_URL must be a redis://, rediss:// or amqp:// URL, or unset for the "
        "embedded broker."
    )


def transport_options(broker_dir: Path) -> dict[str, Any]:
    """Options for Celery's ``broker_transport_options`` that place every folder under one root."""
    queue_folder = str(broker_dir / "queue")
    return {
        "data_folder_in": queue_folder,
        "data_folder_out": queue_folder,
        "control_folder": str(broker_dir / "control"),
        "processed_folder": str(broker_dir / "claimed"),
        "temporary_folder": str(broker_dir / "tmp"),
        # A directory listing is cheap; a short interval keeps task latency low.
        "polling_interval": 0.1,
    }


class FilesystemChannel(filesystem.Channel):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for folder in (
            self.data_folder_in,
            self.data_folder_out,
            self.processed_folder,
            self.temporary_folder,
            str(self.control_folder),
        ):
            os.makedirs(folder, exist_ok=True)

    @property
    def temporary_folder(self) -> str:
        return str(self.transport_options.get("temporary_folder", "tmp"))

    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]
        # Zero-padded nanoseconds keep lexical order equal to publish order across processes.
        filename = f"{time_ns():020d}_{uuid.uuid4().hex}.{queue}.msg"
        staging = os.path.join(self.temporary_folder, filename)
        try:
            with open(staging, "wb") as handle:
                handle.write(str_to_bytes(dumps(payload)))
                handle.flush()
                os.fsync(handle.fileno())
            os.rename(staging, os.path.join(self.data_folder_out, filename))
        except OSError as exc:
            raise ChannelError(f"Cannot publish to queue {queue!r}: {exc}") from exc

    def _get(self, queue: str, timeout: float | None = None) -> Any:
        suffix = f".{queue}.msg"
        for filename in sorted(os.listdir(self.data_folder_in)):
            if not filename.endswith(suffix) or filename.partition(".")[2] != suffix[1:]:
                continue
            claimed = os.path.join(self.processed_folder, filename)
            try:
                os.rename(os.path.join(self.data_folder_in, filename), claimed)
            except FileNotFoundError:
                continue  # another consumer claimed it first
            try:
                with open(claimed, "rb") as handle:
                    payload = handle.read()
                os.remove(claimed)
            except OSError as exc:
                raise ChannelError(f"Cannot read claimed message {filename!r}: {exc}") from exc
            return loads(bytes_to_str(payload))
        raise Empty()


class FilesystemTransport(filesystem.Transport):
    Channel = FilesystemChannel
    driver_name = "kd-filesystem"
