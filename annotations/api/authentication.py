"""How API requests prove who they come from: a bearer token, or a browser session with CSRF.

List ``BearerTokenAuthentication`` first: DRF answers an unauthenticated request with the first
class's ``WWW-Authenticate`` challenge, which turns 403 into the correct 401. A request without
a bearer header falls through to the session. A bearer request needs no CSRF token: a browser
never adds an ``Authorization`` header on its own, so a forged cross-site request cannot carry
one. List ``SessionCsrfAuthentication`` instead of DRF's ``SessionAuthentication``, not beside
it: both describe themselves as ``cookieAuth`` in the OpenAPI schema.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, CSRFCheck, SessionAuthentication
from rest_framework.request import Request

from annotations.models import ApiToken
from annotations.services.tokens import token_authenticate

if TYPE_CHECKING:
    # Type only: drf_spectacular.openapi imports rest_framework.views, whose APIView reads
    # DEFAULT_AUTHENTICATION_CLASSES, which names this module: importing it here is a cycle.
    from drf_spectacular.openapi import AutoSchema

BEARER = "Bearer"


class BearerTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer kd_...``: the token's user, with the token as ``request.auth``.

    A header naming another scheme is left to the other classes. A bearer header whose token is
    malformed, unknown, revoked or expired is refused with 401, never ignored: falling back to a
    session would let a script believe its token works.
    """

    def authenticate(self, request: Request) -> tuple[AbstractBaseUser, ApiToken] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not isinstance(header, str) or not header:
            return None
        parts = header.split()
        if not parts or parts[0].lower() != BEARER.lower():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Malformed bearer authorization header.")
        token = token_authenticate(parts[1])
        if token is None:
            raise exceptions.AuthenticationFailed("Unknown, expired or revoked API token.")
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return BEARER


def _unused_view(request: HttpRequest) -> HttpResponse:
    raise AssertionError("the CSRF check never calls the view")


def enforce_csrf(request: Request) -> None:
    """Django's CSRF check (token, and Origin or Referer) on an unsafe request.

    Raises 403 ``csrf_failed`` with Django's reason ("CSRF token missing.", a foreign
    ``Origin``, ...), so a script can tell a missing CSRF token from a missing permission.
    """
    check = CSRFCheck(_unused_view)
    # process_request reads the csrftoken cookie into request.META, where process_view looks.
    check.process_request(request._request)
    try:
        # DRF's CSRFCheck returns the reason for a refusal instead of Django's 403 page.
        reason: object = check.process_view(request._request, _unused_view, (), {})
    except MultiPartParserError:
        # Django looks for the token in a POST's form fields first, and a multipart body it
        # cannot parse (no boundary, say) raises instead of being refused.
        raise exceptions.ParseError() from None
    if reason:
        raise exceptions.PermissionDenied(
            f"CSRF check failed: {reason} Send the csrftoken cookie's value in the X-CSRFToken "
            "header; GET /api/v1/auth/csrf/ sets the cookie.",
            code="csrf_failed",
        )


class SessionCsrfAuthentication(SessionAuthentication):
    """DRF's session authentication, CSRF enforced, with its refusal as 403 ``csrf_failed``."""

    def enforce_csrf(self, request: Request) -> None:
        enforce_csrf(request)


# drf-spectacular's extension base declares an untyped __init_subclass__ (its registry hook).
class BearerTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "annotations.api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token: `Authorization: Bearer kd_<prefix>_<secret>`.",
        }


class SessionCsrfScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "annotations.api.authentication.SessionCsrfAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}
