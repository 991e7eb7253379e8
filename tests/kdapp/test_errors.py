"""Every API error has the shape {"code", "message", "extra"} and never carries a traceback."""

from __future__ import annotations

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

pytestmark = pytest.mark.urls("tests.kdapp.error_views")


@pytest.fixture
def client() -> Client:
    # raise_request_exception=False: let the handlers answer, as in production.
    return Client(raise_request_exception=False)


def test_field_errors_are_listed_per_field(client: Client, db: None) -> None:
    response = client.post(
        "/api/test/validate/",
        {"title": "far too long a title", "tags": ["x"]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "message": "The request has invalid fields.",
        "extra": {
            "fields": {
                "title": [
                    {
                        "code": "max_length",
                        "message": "Ensure this field has no more than 10 characters.",
                    }
                ],
                "tags": {"0": [{"code": "invalid", "message": "A valid integer is required."}]},
            }
        },
    }


def test_malformed_json_is_a_parse_error(client: Client, db: None) -> None:
    response = client.post("/api/test/validate/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "code": "parse_error",
        "message": "The request body could not be parsed.",
        "extra": {},
    }


def test_json_nested_too_deeply_is_a_parse_error(client: Client, db: None) -> None:
    # Python's decoder raises RecursionError, which DRF's parser let through as a 500.
    response = client.post(
        "/api/test/validate/", "[" * 100_000 + "]" * 100_000, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "parse_error",
        "message": "The request body could not be parsed.",
        "extra": {},
    }


def test_unsupported_media_type(client: Client, db: None) -> None:
    response = client.post("/api/test/validate/", "title=x", content_type="text/plain")
    assert response.status_code == 415
    assert response.json() == {
        "code": "unsupported_media_type",
        "message": 'Unsupported media type "text/plain" in request.',
        "extra": {},
    }


def test_domain_errors_keep_their_code_status_and_extra(client: Client, db: None) -> None:
    response = client.post("/api/test/conflict/", {}, content_type="application/json")
    assert response.status_code == 409
    assert response.json() == {
        "code": "conflict",
        "message": "The item is already in review.",
        "extra": {"status": "in_review"},
    }


def test_method_not_allowed(client: Client, db: None) -> None:
    response = client.delete("/api/test/conflict/")
    assert response.status_code == 405
    assert response.json() == {
        "code": "method_not_allowed",
        "message": 'Method "DELETE" not allowed.',
        "extra": {},
    }


@pytest.mark.parametrize("path", ["/api/test/broken/", "/api/test/broken-plain/"])
def test_unhandled_errors_answer_json_with_the_request_id_and_no_internals(
    client: Client, db: None, path: str
) -> None:
    response = client.get(path, HTTP_X_REQUEST_ID="trace-0001-abcd")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response["X-Request-ID"] == "trace-0001-abcd"
    assert response.json() == {
        "code": "server_error",
        "message": (
            "An unexpected error occurred. It has been logged; quote the request id if you "
            "report it."
        ),
        "extra": {"request_id": "trace-0001-abcd"},
    }
    assert b"secret internals" not in response.content
    assert b"Traceback" not in response.content


@pytest.mark.parametrize("debug", [False, True])
def test_unknown_api_paths_answer_json_404(client: Client, settings: Settings, debug: bool) -> None:
    settings.DEBUG = debug
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "message": "No API endpoint at /api/v1/no-such-thing/.",
        "extra": {},
    }


def test_unknown_pages_outside_the_api_answer_html(client: Client) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert b"<h1>404 \xc2\xb7 Not found</h1>" in response.content


def test_a_malformed_request_id_is_replaced(client: Client) -> None:
    response = client.get("/healthz", HTTP_X_REQUEST_ID="<script>")
    assert response.status_code == 200
    assert response["X-Request-ID"] != "<script>"
    assert len(response["X-Request-ID"]) == 32


@pytest.mark.urls("kdapp.urls")
def test_api_docs_are_served_from_our_own_static_files(client: Client, db: None) -> None:
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_user("reader"))
    page = client.get("/api/docs/")
    assert page.status_code == 200
    assert b"/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page.content
    assert b"//cdn" not in page.content
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "KD Studio API"


@pytest.mark.parametrize("method", ["post", "patch", "delete"])
def test_an_unsafe_request_to_an_unknown_api_path_is_a_json_404(db: None, method: str) -> None:
    # schemathesis found Django's HTML "CSRF cookie not set" page here: a bearer-token client
    # sends no CSRF cookie, and the catch-all is a plain Django view.
    browser = Client(enforce_csrf_checks=True, raise_request_exception=False)
    response = getattr(browser, method)(
        "/api/v1/datasets/1,2/", {}, content_type="application/json"
    )
    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "message": "No API endpoint at /api/v1/datasets/1,2/.",
        "extra": {},
    }
