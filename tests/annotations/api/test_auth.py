"""Signing in and out, CSRF, bearer tokens and who the caller is: /api/v1/auth/."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django.fixtures import Settings

from annotations.api.auth import LoginRateThrottle
from annotations.models import ApiToken, Dataset, Membership
from annotations.services.audit import Actor
from annotations.services.tokens import token_create, token_revoke
from tests.annotations.factories import DatasetFactory
from tests.support.processes import clean_env, run_python

pytestmark = [pytest.mark.urls("tests.annotations.api.auth_urls"), pytest.mark.django_db]

LOGIN = "/api/v1/auth/login/"
LOGOUT = "/api/v1/auth/logout/"
WHOAMI = "/api/v1/auth/whoami/"
CSRF = "/api/v1/auth/csrf/"
PROBE = "/api/test/unsafe-probe/"
PASSWORD = "correct horse battery"

NOT_AUTHENTICATED = {
    "code": "not_authenticated",
    "message": "Authentication is required: log in or send an API token.",
    "extra": {},
}
AUTHENTICATION_FAILED = {
    "code": "authentication_failed",
    "message": "The credentials were not accepted.",
    "extra": {},
}
INVALID_CREDENTIALS = {
    "code": "invalid_credentials",
    "message": "The username or password is not correct.",
    "extra": {},
}
CSRF_HELP = (
    " Send the csrftoken cookie's value in the X-CSRFToken header; GET /api/v1/auth/csrf/ "
    "sets the cookie."
)


def csrf_failed(reason: str) -> dict[str, Any]:
    return {
        "code": "csrf_failed",
        "message": f"CSRF check failed: {reason}{CSRF_HELP}",
        "extra": {},
    }


def field_errors(fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": "invalid",
        "message": "The request has invalid fields.",
        "extra": {"fields": fields},
    }


@pytest.fixture(autouse=True)
def throttle_rates(settings: Settings) -> Iterator[None]:
    # The rates the integrated settings carry; the cache holds the throttles' counters.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"login": "10/min", "token_create": "20/hour"},
    }
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def browser() -> Client:
    """A client that, like a browser, gets no CSRF exemption."""
    return Client(enforce_csrf_checks=True)


def csrf_token(client: Client) -> str:
    response = client.get(CSRF)
    assert response.status_code == 200
    return str(response.json()["csrf_token"])


def post_json(client: Client, path: str, data: Any = None, **headers: Any) -> HttpResponse:
    return client.post(path, data, content_type="application/json", **headers)  # type: ignore[return-value]


def login(
    client: Client, username: str = "ada", password: str = PASSWORD, **headers: Any
) -> HttpResponse:
    return post_json(client, LOGIN, {"username": username, "password": password}, **headers)


def make_token(user: User, **fields: Any) -> tuple[ApiToken, str]:
    return token_create(
        user=user,
        name=fields.pop("name", "ci"),
        scopes=fields.pop("scopes", [ApiToken.Scope.EXPORT_READ]),
        dataset=fields.pop("dataset", None),
        expires_at=fields.pop("expires_at", None),
        actor=Actor.for_user(user),
    )


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def is_signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# --- CSRF token and login -----------------------------------------------------------------------


def test_csrf_sets_the_cookie_and_returns_a_token(browser: Client, db: None) -> None:
    response = browser.get(CSRF)

    assert response.status_code == 200
    assert response.json() == {"csrf_token": response.json()["csrf_token"]}
    assert len(response.json()["csrf_token"]) == 64
    assert len(browser.cookies["csrftoken"].value) == 32
    assert "no-store" in response["Cache-Control"]


def test_login_starts_a_session_and_rotates_the_csrf_token(browser: Client, user: User) -> None:
    token_before = csrf_token(browser)
    cookie_before = browser.cookies["csrftoken"].value

    response = login(browser, HTTP_X_CSRFTOKEN=token_before)

    assert response.status_code == 200
    assert response.json() == {"id": user.pk, "username": "ada", "is_staff": False}
    assert browser.session["_auth_user_id"] == str(user.pk)
    cookie_after = browser.cookies["csrftoken"].value
    assert cookie_after != cookie_before
    # The token from before login no longer passes for the new session; the new one does.
    refused = post_json(browser, LOGOUT, HTTP_X_CSRFTOKEN=token_before)
    assert refused.status_code == 403
    assert refused.json() == csrf_failed("CSRF token from the 'X-Csrftoken' HTTP header incorrect.")
    assert is_signed_in(browser)
    assert post_json(browser, LOGOUT, HTTP_X_CSRFTOKEN=cookie_after).status_code == 204


@pytest.mark.parametrize(
    ("username", "password"),
    [("ada", "wrong password"), ("nobody", PASSWORD), ("ada", ""), ("inactive", PASSWORD)],
    ids=["wrong-password", "unknown-user", "empty-password", "inactive-user"],
)
def test_login_refuses_bad_credentials_with_one_answer(
    client: Client, user: User, username: str, password: str
) -> None:
    User.objects.create_user("inactive", password=PASSWORD, is_active=False)

    response = login(client, username, password)

    if password == "":
        assert response.status_code == 400
        assert response.json() == field_errors(
            {"password": [{"code": "blank", "message": "This field may not be blank."}]}
        )
    else:
        assert response.status_code == 400
        assert response.json() == INVALID_CREDENTIALS
    assert not is_signed_in(client)


@pytest.mark.parametrize(
    ("prepare", "headers", "reason"),
    [
        ("nothing", {}, "CSRF cookie not set."),
        ("cookie", {}, "CSRF token missing."),
        (
            "cookie",
            {"HTTP_X_CSRFTOKEN": "x" * 32},
            "CSRF token from the 'X-Csrftoken' HTTP header incorrect.",
        ),
        (
            "cookie-and-token",
            {"HTTP_ORIGIN": "https://evil.example"},
            "Origin checking failed - https://evil.example does not match any trusted origins.",
        ),
    ],
    ids=["no-cookie", "no-token", "wrong-token", "foreign-origin"],
)
def test_login_checks_csrf(
    browser: Client, user: User, prepare: str, headers: dict[str, str], reason: str
) -> None:
    if prepare != "nothing":
        token = csrf_token(browser)
        if prepare == "cookie-and-token":
            headers = {"HTTP_X_CSRFTOKEN": token, **headers}

    response = login(browser, **headers)

    assert response.status_code == 403
    assert response.json() == csrf_failed(reason)
    assert not is_signed_in(browser)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (
            {"username": "ada", "password": PASSWORD, "remember": True},
            {"remember": [{"code": "invalid", "message": "Unknown field."}]},
        ),
        (
            {"username": "ada", "password": PASSWORD, "\ud800x": 1},
            {"\\ud800x": [{"code": "invalid", "message": "Unknown field."}]},
        ),
        (
            {"username": "ada\x00", "password": PASSWORD},
            {
                "username": [
                    {
                        "code": "null_characters_not_allowed",
                        "message": "Null characters are not allowed.",
                    }
                ]
            },
        ),
        (
            {"username": "ada", "password": "pass\ud800word"},
            {
                "password": [
                    {
                        "code": "surrogate_characters_not_allowed",
                        "message": "Surrogate characters are not allowed: U+D800.",
                    }
                ]
            },
        ),
        (
            {"username": "a" * 151, "password": PASSWORD},
            {
                "username": [
                    {
                        "code": "max_length",
                        "message": "Ensure this field has no more than 150 characters.",
                    }
                ]
            },
        ),
        (
            {"username": "ada", "password": "p" * 1025},
            {
                "password": [
                    {
                        "code": "max_length",
                        "message": "Ensure this field has no more than 1024 characters.",
                    }
                ]
            },
        ),
        (
            {"username": ["ada"], "password": PASSWORD},
            {"username": [{"code": "invalid", "message": "Not a valid string."}]},
        ),
        (
            ["ada", PASSWORD],
            {
                "non_field_errors": [
                    {
                        "code": "invalid",
                        "message": "Invalid data. Expected a dictionary, but got list.",
                    }
                ]
            },
        ),
    ],
    ids=[
        "unknown",
        "surrogate-key",
        "nul",
        "surrogate",
        "long-username",
        "long-password",
        "list-value",
        "not-an-object",
    ],
)
def test_login_input_is_checked_field_by_field(
    client: Client, user: User, body: Any, fields: dict[str, Any]
) -> None:
    response = post_json(client, LOGIN, body)

    assert response.status_code == 400
    assert response.json() == field_errors(fields)
    assert not is_signed_in(client)


def test_login_is_throttled_per_client_address(
    client: Client, user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(LoginRateThrottle, "timer", staticmethod(lambda: 1_000_000.0))
    # A forged X-Forwarded-For per attempt does not make a new client.
    for attempt in range(10):
        response = login(
            client, password=f"guess {attempt}", HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}"
        )
        assert response.status_code == 400

    throttled = login(client, HTTP_X_FORWARDED_FOR="198.51.100.99")

    assert throttled.status_code == 429
    assert throttled.json() == {
        "code": "throttled",
        "message": "Request was throttled. Expected available in 60 seconds.",
        "extra": {"retry_after_seconds": 60},
    }
    assert throttled["Retry-After"] == "60"
    # The right password does not get through either, so guessing cannot continue.
    assert not is_signed_in(client)
    assert login(client, REMOTE_ADDR="192.0.2.7").status_code == 200


# --- Logout -------------------------------------------------------------------------------------


def test_logout_ends_the_session(browser: Client, user: User) -> None:
    browser.force_login(user)
    token = csrf_token(browser)

    response = post_json(browser, LOGOUT, HTTP_X_CSRFTOKEN=token)

    assert response.status_code == 204
    assert response.content == b""
    assert not is_signed_in(browser)
    assert browser.get(WHOAMI).json() == NOT_AUTHENTICATED


def test_logout_of_a_session_needs_the_csrf_token(browser: Client, user: User) -> None:
    browser.force_login(user)

    response = post_json(browser, LOGOUT)

    assert response.status_code == 403
    assert response.json() == csrf_failed("CSRF cookie not set.")
    assert is_signed_in(browser)


def test_logout_without_a_session_is_a_no_op(client: Client, db: None) -> None:
    assert post_json(client, LOGOUT).status_code == 204


# --- Who am I -----------------------------------------------------------------------------------


def test_whoami_with_a_session(user: User, user_client: Client) -> None:
    with CaptureQueriesContext(connection) as queries:
        response = user_client.get(WHOAMI)

    assert response.status_code == 200
    assert response.json() == {
        "id": user.pk,
        "username": "ada",
        "is_staff": False,
        "auth": "session",
        "token": None,
    }
    # The session and its user; a GET writes nothing.
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["SELECT", "SELECT"]


def test_whoami_with_a_token_records_its_use(client: Client, user: User) -> None:
    dataset = DatasetFactory()
    Membership.objects.create(user=user, dataset=dataset, role=Membership.Role.ANNOTATOR)
    expires_at = timezone.now() + timedelta(days=7)
    token, secret = make_token(
        user,
        name="nightly export",
        scopes=[ApiToken.Scope.EXPORT_READ, ApiToken.Scope.ANNOTATE],
        dataset=dataset,
        expires_at=expires_at,
    )

    response = client.get(WHOAMI, **bearer(secret))

    assert response.status_code == 200
    assert response.json() == {
        "id": user.pk,
        "username": "ada",
        "is_staff": False,
        "auth": "token",
        "token": {
            "id": token.pk,
            "name": "nightly export",
            "prefix": token.prefix,
            "scopes": ["export:read", "annotate"],
            "dataset": dataset.pk,
            "expires_at": expires_at.isoformat().replace("+00:00", "Z"),
        },
    }
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None
    # Soon after, a request reads the token and writes nothing.
    with CaptureQueriesContext(connection) as queries:
        assert client.get(WHOAMI, **bearer(secret)).status_code == 200
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["SELECT"]


def test_the_scheme_name_is_case_insensitive(client: Client, user: User) -> None:
    _, secret = make_token(user)
    response = client.get(WHOAMI, HTTP_AUTHORIZATION=f"bearer {secret}")
    assert response.status_code == 200
    assert response.json()["auth"] == "token"


def test_whoami_without_credentials_is_401_with_a_bearer_challenge(
    client: Client, db: None
) -> None:
    response = client.get(WHOAMI)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json() == NOT_AUTHENTICATED


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Bearer kd_a kd_b",
        "Bearer not-a-token",
        "Bearer kd_0123456789ab_" + "A" * 43,
        "Bearer kd_0123456789ab_" + "A" * 42 + "\u2603",
        "Bearer " + "kd_" + "x" * 20_000,
    ],
    ids=["no-token", "blank-token", "two-tokens", "not-ours", "unknown", "non-ascii", "huge"],
)
def test_a_bad_bearer_header_is_401(client: Client, db: None, header: str) -> None:
    response = client.get(WHOAMI, HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json() == AUTHENTICATION_FAILED


def test_a_bad_bearer_header_does_not_fall_back_to_the_session(
    user: User, user_client: Client
) -> None:
    response = user_client.get(WHOAMI, HTTP_AUTHORIZATION="Bearer kd_nope")
    assert response.status_code == 401
    assert response.json() == AUTHENTICATION_FAILED


def test_a_good_bearer_header_wins_over_the_session(user: User, user_client: Client) -> None:
    other = User.objects.create_user("grace", password=PASSWORD)
    _, secret = make_token(other)
    response = user_client.get(WHOAMI, **bearer(secret))
    assert (response.json()["username"], response.json()["auth"]) == ("grace", "token")


def test_another_scheme_is_left_to_the_session(user: User, user_client: Client) -> None:
    response = user_client.get(WHOAMI, HTTP_AUTHORIZATION="Basic YWRhOnB3")
    assert response.status_code == 200
    assert response.json()["auth"] == "session"


def test_a_revoked_token_stops_working_at_once(client: Client, user: User) -> None:
    token, secret = make_token(user)
    assert client.get(WHOAMI, **bearer(secret)).status_code == 200

    token_revoke(token=token, actor=Actor.for_user(user))

    response = client.get(WHOAMI, **bearer(secret))
    assert response.status_code == 401
    assert response.json() == AUTHENTICATION_FAILED


def test_an_expired_token_is_401(client: Client, user: User) -> None:
    token, secret = make_token(user, expires_at=timezone.now() + timedelta(hours=1))
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = client.get(WHOAMI, **bearer(secret))

    assert response.status_code == 401
    assert response.json() == AUTHENTICATION_FAILED
    assert ApiToken.objects.get(pk=token.pk).last_used_at is None


def test_a_token_of_a_deactivated_user_is_401(client: Client, user: User) -> None:
    _, secret = make_token(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert client.get(WHOAMI, **bearer(secret)).json() == AUTHENTICATION_FAILED


# --- CSRF on unsafe methods ---------------------------------------------------------------------


def test_a_session_post_needs_the_csrf_token(browser: Client, user: User) -> None:
    browser.force_login(user)
    token = csrf_token(browser)

    refused = post_json(browser, PROBE, {})
    accepted = post_json(browser, PROBE, {}, HTTP_X_CSRFTOKEN=token)

    assert refused.status_code == 403
    assert refused.json() == csrf_failed("CSRF token missing.")
    assert accepted.status_code == 200
    assert accepted.json() == {"auth": "session"}


def test_a_post_from_another_origin_is_refused_even_with_the_token(
    browser: Client, user: User
) -> None:
    browser.force_login(user)
    token = csrf_token(browser)

    response = post_json(
        browser, PROBE, {}, HTTP_X_CSRFTOKEN=token, HTTP_ORIGIN="http://evil.example"
    )

    assert response.status_code == 403
    assert response.json() == csrf_failed(
        "Origin checking failed - http://evil.example does not match any trusted origins."
    )


@pytest.mark.parametrize("path", [LOGIN, PROBE], ids=["login", "session-post"])
def test_a_multipart_body_without_a_boundary_is_a_parse_error(
    browser: Client, user: User, path: str
) -> None:
    # schemathesis found a 500: the CSRF check reads a POST's form fields, and Django raises on
    # a multipart body it cannot split.
    browser.force_login(user)
    token = csrf_token(browser)

    response = browser.post(path, b"{}", content_type="multipart/form-data", HTTP_X_CSRFTOKEN=token)

    assert response.status_code == 400
    assert response.json() == {
        "code": "parse_error",
        "message": "The request body could not be parsed.",
        "extra": {},
    }


def test_a_bearer_post_needs_no_csrf_token(browser: Client, user: User) -> None:
    _, secret = make_token(user)
    response = post_json(browser, PROBE, {}, **bearer(secret))
    assert response.status_code == 200
    assert response.json() == {"auth": "token"}


def test_dataset_membership_is_not_needed_to_see_yourself(client: Client, user: User) -> None:
    # A token bound to a dataset still answers whoami: it is about the caller, not the dataset.
    staff = User.objects.create_user("root", password=PASSWORD, is_staff=True)
    dataset: Dataset = DatasetFactory()
    _, secret = make_token(staff, dataset=dataset)
    response = client.get(WHOAMI, **bearer(secret))
    assert response.status_code == 200
    assert (response.json()["is_staff"], response.json()["token"]["dataset"]) == (True, dataset.pk)


# --- Settings can name the authentication classes -----------------------------------------------

_IMPORT_AS_SETTINGS_DO = """
import django
from django.conf import settings

django.setup()
settings.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] = [
    "annotations.api.authentication.BearerTokenAuthentication",
    "annotations.api.authentication.SessionCsrfAuthentication",
]
from rest_framework.views import APIView

print([cls.__name__ for cls in APIView.authentication_classes])
"""


def test_the_authentication_classes_load_from_settings_without_an_import_cycle(
    tmp_path: Path,
) -> None:
    # DRF imports the classes named in settings while it defines APIView; a module among them
    # that imports rest_framework.views (drf_spectacular.openapi does) is then half-initialised.
    env = clean_env(
        DJANGO_SETTINGS_MODULE="kdapp.settings.test",
        KD_SECRET_KEY="import-check-only",
        KD_DATA_DIR=str(tmp_path),
        DATABASE_URL="postgres://localhost/unused",
    )
    result = run_python(["-c", _IMPORT_AS_SETTINGS_DO], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ("['BearerTokenAuthentication', 'SessionCsrfAuthentication']")
