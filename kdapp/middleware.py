"""Request ids on every request, and JSON instead of an HTML error page under /api/."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from kdapp.errors import SERVER_ERROR_MESSAGE, error_response, is_api_path
from kdapp.request_id import REQUEST_ID_HEADER, current_request_id, request_id_for

logger = logging.getLogger(__name__)


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_for(request)
        token = current_request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


class ApiErrorMiddleware:
    """Answers an unhandled exception under /api/ with the JSON error shape, even with DEBUG on.

    DRF views already route their exceptions through ``kdapp.errors.api_exception_handler``;
    this catches what happens outside them (URL resolution, plain Django views).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_api_path(request.path):
            return None
        logger.error(
            "unhandled error on %s %s (request %s)",
            request.method,
            request.path,
            request_id_for(request),
            exc_info=exception,
        )
        return error_response(
            500, "server_error", SERVER_ERROR_MESSAGE, {"request_id": request_id_for(request)}
        )
