"""The id that ties a request to its log lines, its error responses and its audit events."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

from django.http import HttpRequest

REQUEST_ID_HEADER = "X-Request-ID"
_ACCEPTED_REQUEST_ID = re.compile(r"\A[A-Za-z0-9._:-]{8,64}\Z")

current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)


def request_id_for(request: HttpRequest) -> str:
    """The id of ``request``: the caller's X-Request-ID when it is well formed, else a new one."""
    existing = getattr(request, "request_id", None)
    if isinstance(existing, str):
        return existing
    supplied = request.headers.get(REQUEST_ID_HEADER, "")
    request_id = supplied if _ACCEPTED_REQUEST_ID.match(supplied) else uuid.uuid4().hex
    request.request_id = request_id  # type: ignore[attr-defined]
    return request_id
