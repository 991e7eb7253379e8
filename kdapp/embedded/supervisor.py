"""Start child processes, watch them, and stop every one of them, grandchildren included.

Each child runs in its own session (so a terminal's Ctrl-C reaches only the launcher, which then
stops the children in order) and is asked by the kernel to terminate if the launcher dies
without cleaning up. Stopping sends SIGTERM to each child, waits, then sends SIGKILL to whatever
is left of the child's process group.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

logger = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


def _detach_and_follow_parent() -> None:
    os.setsid()
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid

    def exit_code(self) -> int | None:
        return self.process.poll()


class Supervisor:
    def __init__(self) -> None:
        self.children: list[Child] = []

    def start(self, name: str, command: Sequence[str], env: Mapping[str, str]) -> Child:
        process = subprocess.Popen(  # preexec_fn sets PDEATHSIG
            list(command), env=dict(env), preexec_fn=_detach_and_follow_parent
        )
        child = Child(name, process)
        self.children.append(child)
        return child

    def first_exited(self) -> Child | None:
        for child in self.children:
            if child.exit_code() is not None:
                return child
        return None

    def stop_all(self, *, grace_seconds: float = 15.0) -> None:
        """Stop the children in reverse start order; every process group is gone on return."""
        # SIGTERM goes to each main process only: gunicorn and Celery then stop their own
        # workers in order. The group-wide SIGKILL afterwards removes anything left behind.
        for child in reversed(self.children):
            if child.exit_code() is None:
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace_seconds
        for child in reversed(self.children):
            remaining = max(0.0, deadline - time.monotonic())
            try:
                child.process.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                logger.warning(
                    "%s did not stop within %.0fs; killing it", child.name, grace_seconds
                )
            # Sweep the group even after a clean exit: a worker's pool processes may linger.
            self._signal_group(child, signal.SIGKILL)
            child.process.wait()
        self.children.clear()

    @staticmethod
    def _signal_group(child: Child, signum: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, signum)
