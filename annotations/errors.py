"""Domain errors: each has a stable ``code`` and the HTTP status the API answers with.

Services raise these; ``kdapp.errors.api_exception_handler`` turns them into the error shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


class DomainError(Exception):
    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "invalid_request"

    def __init__(self, message: str, *, extra: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra: dict[str, Any] = dict(extra or {})


class NotFoundError(DomainError):
    status_code = 404
    code = "not_found"


class PermissionDeniedError(DomainError):
    status_code = 403
    code = "permission_denied"


class ConflictError(DomainError):
    """The object is in a state that does not allow this change."""

    status_code = 409
    code = "conflict"


class PreconditionFailedError(DomainError):
    """The client's If-Match version is stale."""

    status_code = 412
    code = "precondition_failed"


class PreconditionRequiredError(DomainError):
    """A write to a versioned resource came without If-Match."""

    status_code = 428
    code = "precondition_required"
