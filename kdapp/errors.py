"""One error shape for the whole API: ``{"code", "message", "extra"}``.

``code`` is stable and machine-readable, ``message`` is for people, ``extra`` carries details
(field errors under ``extra.fields``, the request id of a server error). No response ever
carries a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

from annotations.errors import DomainError
from kdapp.request_id import request_id_for

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
SERVER_ERROR_MESSAGE = (
    "An unexpected error occurred. It has been logged; quote the request id if you report it."
)


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIX)


def error_body(code: str, message: str, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "extra": dict(extra or {})}


def error_response(
    status: int, code: str, message: str, extra: Mapping[str, Any] | None = None
) -> JsonResponse:
    return JsonResponse(error_body(code, message, extra), status=status)


def _field_errors(detail: Any) -> Any:
    """DRF's nested error detail as ``{field: [{"code", "message"}]}``, recursively."""
    if isinstance(detail, Mapping):
        return {str(key): _field_errors(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_field_errors(value) for value in detail]
    if isinstance(detail, exceptions.ErrorDetail):
        return {"code": detail.code, "message": str(detail)}
    return {"code": "invalid", "message": str(detail)}


_MESSAGES = {
    "not_authenticated": "Authentication is required: log in or send an API token.",
    "authentication_failed": "The credentials were not accepted.",
    "permission_denied": "You do not have permission to do this.",
    "not_found": "Not found.",
    "parse_error": "The request body could not be parsed.",
}


def api_exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: every exception raised in an API view becomes the error shape."""
    request = context.get("request")
    headers: dict[str, str] = {}

    if isinstance(exc, DomainError):
        set_rollback()
        return Response(error_body(exc.code, exc.message, exc.extra), status=exc.status_code)

    if isinstance(exc, DjangoValidationError):
        # A model's full_clean() in a service: the same 400 as a serializer's field errors.
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = exceptions.ValidationError(detail)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if isinstance(exc, exceptions.ValidationError):
        set_rollback()
        fields = (
            _field_errors(exc.detail)
            if isinstance(exc.detail, Mapping)
            else {"non_field_errors": _field_errors(exc.detail)}
        )
        return Response(
            error_body("invalid", "The request has invalid fields.", {"fields": fields}),
            status=exc.status_code,
        )

    if isinstance(exc, exceptions.APIException):
        set_rollback()
        code = exc.default_code
        codes = exc.get_codes()
        if isinstance(codes, str):
            code = codes
        message = _MESSAGES.get(code) or str(exc.detail)
        extra: dict[str, Any] = {}
        authenticate_header = getattr(exc, "auth_header", None)
        if authenticate_header:
            headers["WWW-Authenticate"] = authenticate_header
        wait = getattr(exc, "wait", None)
        if wait is not None:
            headers["Retry-After"] = str(int(wait))
            extra["retry_after_seconds"] = int(wait)
        return Response(error_body(code, message, extra), status=exc.status_code, headers=headers)

    set_rollback()
    request_id = request_id_for(request._request) if request is not None else None
    logger.error("unhandled error in API view (request %s)", request_id, exc_info=exc)
    return Response(
        error_body("server_error", SERVER_ERROR_MESSAGE, {"request_id": request_id}),
        status=500,
    )


# CSRF-exempt, as DRF's views are: it changes nothing, and without the exemption Django's CSRF
# check would answer an unsafe request to an unknown path (from a bearer-token client, which has
# no CSRF cookie) with its HTML 403 page instead of this JSON 404.
@csrf_exempt
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Catch-all for unknown paths under /api/, so they answer JSON even with DEBUG on."""
    return error_response(404, "not_found", f"No API endpoint at {request.path}.")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_path(request.path):
        return api_not_found(request)
    return TemplateResponse(
        request, "kdapp/error.html", {"status": 404, "title": "Not found"}, status=404
    )


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api_path(request.path):
        return error_response(
            500, "server_error", SERVER_ERROR_MESSAGE, {"request_id": request_id_for(request)}
        )
    # No template rendering here: the template engine itself may be what failed.
    return HttpResponse(
        "<!doctype html><title>Server error</title><h1>Server error</h1>"
        "<p>Something went wrong on our side. It has been logged.</p>",
        status=500,
    )
