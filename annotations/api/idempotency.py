"""Idempotency-Key support for POSTs that create things (IETF httpapi idempotency-key draft).

The same key with the same request returns the first 2xx response again without doing the work
twice; the same key with a different request is refused with 422. Without the header the
request runs as usual. The record is written in the transaction of the work itself, so a
response is remembered exactly when its effects committed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from django.db import IntegrityError, transaction
from rest_framework.request import Request
from rest_framework.response import Response

from annotations.errors import DomainError
from annotations.models import IdempotencyRecord

HEADER = "Idempotency-Key"
_REPLAYED_HEADERS = ("ETag", "Location")


class IdempotencyKeyReused(DomainError):
    status_code = 422
    code = "idempotency_key_reused"


def _request_hash(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def idempotent(request: Request, handler: Callable[[], Response]) -> Response:
    key = request.headers.get(HEADER)
    if key is None:
        return handler()
    key = key.strip()[:200]
    user_id = request.user.pk  # the views behind this require authentication
    assert user_id is not None
    fingerprint = _request_hash(request)

    def replay(record: IdempotencyRecord) -> Response:
        if record.request_hash != fingerprint:
            raise IdempotencyKeyReused(
                f"{HEADER} {key!r} was already used for a different request.",
                extra={"key": key},
            )
        response = Response(record.body, status=record.status_code)
        for name, value in record.headers.items():
            response[name] = value
        response["Idempotent-Replayed"] = "true"
        return response

    existing = IdempotencyRecord.objects.filter(user_id=user_id, key=key).first()
    if existing is not None:
        return replay(existing)
    try:
        with transaction.atomic():
            response = handler()
            if 200 <= response.status_code < 300:
                IdempotencyRecord.objects.create(
                    user_id=user_id,
                    key=key,
                    request_hash=fingerprint,
                    status_code=response.status_code,
                    body=response.data,
                    headers={
                        name: response[name] for name in _REPLAYED_HEADERS if name in response
                    },
                )
    except IntegrityError:
        # A concurrent request with the same key committed first; its response is the answer.
        # Any other integrity error is the handler's own and goes on up.
        winner = IdempotencyRecord.objects.filter(user_id=user_id, key=key).first()
        if winner is None:
            raise
        return replay(winner)
    return response
