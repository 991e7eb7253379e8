"""Pieces every API module uses: the error schema and query-parameter validation.

Text input needs no extra guard: DRF's CharField already refuses NUL characters and lone
surrogates, which Postgres cannot store. Free-form JSON kept in a jsonb column does:
``storable_json``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError
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
    """400 for query parameters the endpoint does not declare, and for a parameter given more
    than once (every declared one takes a single value): a typo must not be ignored, nor all
    but the last of several values."""
    names = sorted(allowed)
    refused = {
        name: [f"Unknown query parameter; allowed: {', '.join(names)}."]
        for name in request.query_params
        if name not in names
    }
    refused.update(
        {
            name: ["Give this query parameter once."]
            for name, values in request.query_params.lists()
            if name in names and len(values) > 1
        }
    )
    if refused:
        raise ValidationError(dict(sorted(refused.items())))


# json.loads joins valid surrogate pairs into one code point, so a surrogate left is a lone one.
_UNSTORABLE_CHARACTER = re.compile("[\x00\ud800-\udfff]")


def storable_json(value: Any) -> None:
    """A validator for free-form JSON kept in a jsonb column, which refuses NUL characters and
    lone surrogates in strings and keys, and numbers that are not finite (``1e400`` parses as
    infinity): each is a 400 here instead of a database error. Iterative, because the value may
    be nested as deeply as the JSON parser allows."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str) and (match := _UNSTORABLE_CHARACTER.search(item)):
            if match.group() == "\x00":
                raise serializers.ValidationError(
                    "Null characters are not allowed.", code="null_characters_not_allowed"
                )
            raise serializers.ValidationError(
                f"Surrogate characters are not allowed: U+{ord(match.group()):X}.",
                code="surrogate_characters_not_allowed",
            )
        elif isinstance(item, float) and not math.isfinite(item):
            raise serializers.ValidationError("Numbers must be finite.", code="invalid")


_MAX_ECHOED_NAME = 100


def printable_field_name(name: object) -> str:
    """A client's field name made safe to send back: cut short, and a lone surrogate (which
    UTF-8 cannot encode, so the JSON response would fail) written as an escape."""
    text = str(name)[:_MAX_ECHOED_NAME]
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


# The JSON types each kind of field takes. DRF would convert between them (a number for a text
# field, "5" for an integer, "true" for a boolean), but the schema promises one type, and a
# client that sends another has a bug it should hear about.
_JSON_TYPES: tuple[tuple[type[serializers.Field[Any, Any, Any, Any]], tuple[type, ...]], ...] = (
    (serializers.BooleanField, (bool,)),
    (serializers.CharField, (str,)),
    (serializers.IntegerField, (int,)),
    (serializers.FloatField, (int, float)),
)


def _json_type_error(field: serializers.Field[Any, Any, Any, Any], value: Any) -> str | None:
    """The field's own "invalid" message if ``value`` is not of the JSON type it takes."""
    if value is None:
        return None  # whether null is allowed is the field's own check
    if isinstance(field, serializers.ListField) and isinstance(value, list):
        return next(
            (message for item in value if (message := _json_type_error(field.child, item))),
            None,
        )
    for kind, types in _JSON_TYPES:
        if isinstance(field, kind):
            # bool is an int to Python, never to JSON.
            if isinstance(value, types) and (bool in types or not isinstance(value, bool)):
                return None
            return str(field.error_messages["invalid"])
    return None


class StrictSerializer(serializers.Serializer[Any]):
    """An input serializer that refuses fields it does not declare, and values that are not of
    the JSON type their field takes (``0`` for a text field, ``"5"`` for an integer): 400, each
    such field named in ``extra.fields``."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            refused: dict[str, list[ErrorDetail]] = {
                printable_field_name(key): [ErrorDetail("Unknown field.", code="invalid")]
                for key in data
                if key not in self.fields
            }
            for name, value in data.items():
                field = self.fields.get(name)
                message = None if field is None else _json_type_error(field, value)
                if message is not None:
                    refused[name] = [ErrorDetail(message, code="invalid")]
            if refused:
                raise ValidationError(dict(sorted(refused.items())))
        return super().to_internal_value(data)
