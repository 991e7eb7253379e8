"""The request body parser (``REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]``): JSON only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class JsonParser(JSONParser):
    """DRF's JSON parser, with nesting too deep for Python's decoder (some thousand ``[``, which
    any client can send) refused as a parse error, 400, instead of escaping as a RecursionError,
    500."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None
