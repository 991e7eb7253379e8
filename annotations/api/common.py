"""Pieces every API module uses: the error schema and query-parameter validation.

Text input needs no extra guard: DRF's CharField already refuses NUL characters and lone
surrogates, which Postgres cannot store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

ERROR_SCHEMA = inline_serializer(
    name="Error",
    fields={
        "code": serializers.CharField(),
        "message": serializers.CharField(),
        "extra": serializers.DictField(),
    },
)


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    """Documented error responses, all in the one error shape."""
    meaning = {
        400: "Invalid input (field errors in extra.fields).",
        401: "The API token is unknown, expired or revoked.",
        403: "Not allowed for this user, role or token scope.",
        404: "Not found, or not visible to the caller.",
        409: "The object's state does not allow this.",
        412: "If-Match names a stale version.",
        428: "If-Match is required.",
        429: "Too many requests.",
    }
    return {
        status: OpenApiResponse(ERROR_SCHEMA, description=meaning[status]) for status in statuses
    }


def reject_unknown_parameters(request: Request, allowed: Iterable[str]) -> None:
    """400 for query parameters the endpoint does not declare: a typo must not be ignored."""
    unknown = sorted(set(request.query_params) - set(allowed))
    if unknown:
        raise ValidationError(
            {
                name: [f"Unknown query parameter; allowed: {', '.join(sorted(allowed))}."]
                for name in unknown
            }
        )


_MAX_ECHOED_NAME = 100


def printable_field_name(name: object) -> str:
    """A client's field name made safe to send back: cut short, and a lone surrogate (which
    UTF-8 cannot encode, so the JSON response would fail) written as an escape."""
    text = str(name)[:_MAX_ECHOED_NAME]
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


class StrictSerializer(serializers.Serializer[Any]):
    """An input serializer that refuses fields it does not declare: 400, each unknown field
    named in ``extra.fields``."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted({printable_field_name(key) for key in data if key not in self.fields})
            if unknown:
                raise ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)
