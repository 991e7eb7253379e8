"""The OpenAPI schema generator (``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``): drf-spectacular's,
with the 401 that every operation accepting a bearer token can answer."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import Direction, OpenApiResponse

from annotations.api.authentication import BearerTokenAuthentication
from annotations.api.common import ERROR_SCHEMA

UNAUTHENTICATED = OpenApiResponse(
    ERROR_SCHEMA,
    description="Not signed in (code not_authenticated), or the API token is unknown, expired "
    "or revoked (authentication_failed).",
)


class ApiAutoSchema(AutoSchema):
    """Documents 401 on each operation whose view accepts bearer tokens.

    DRF answers 401 there to a bearer token it refuses, and, because bearer authentication is
    listed first, to a request without credentials when the view needs a signed-in caller. A
    view that documents its own 401 keeps it.
    """

    def _get_response_bodies(self, direction: Direction = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        accepts_bearer = any(
            isinstance(authenticator, BearerTokenAuthentication)
            for authenticator in self.view.get_authenticators()
        )
        if accepts_bearer and "401" not in responses:
            # Untyped in drf-spectacular; it is what builds every other response of the operation.
            responses["401"] = self._get_response_for_code(  # type: ignore[no-untyped-call]
                UNAUTHENTICATED, "401", None, direction
            )
        return responses
