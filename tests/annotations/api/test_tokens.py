"""The caller's API tokens: /api/v1/tokens/. Three callers throughout: the owner on a session,
another user, and nobody; and the owner's own token, which may not manage tokens."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import include, path
from django.utils import timezone
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from pytest_django.fixtures import Settings
from rest_framework import serializers

from annotations.api import urls_auth
from annotations.models import ApiToken, AuditAction, AuditEvent, Membership
from annotations.services.audit import Actor
from annotations.services.tokens import token_create, token_revoke
from tests.annotations.factories import DatasetFactory

pytestmark = [pytest.mark.urls("tests.annotations.api.auth_urls"), pytest.mark.django_db]

TOKENS = "/api/v1/tokens/"
WHOAMI = "/api/v1/auth/whoami/"
SECRET = re.compile(r"kd_([0-9a-f]{12})_[A-Za-z0-9_-]{43}")

NOT_AUTHENTICATED = {
    "code": "not_authenticated",
    "message": "Authentication is required: log in or send an API token.",
    "extra": {},
}
TOKEN_MAY_NOT_MANAGE = {
    "code": "permission_denied",
    "message": "API tokens cannot list, create or revoke tokens: sign in with a password.",
    "extra": {},
}
NO_SUCH_TOKEN = {"code": "not_found", "message": "No such token.", "extra": {}}
NO_SUCH_DATASET = {"code": "not_found", "message": "No such dataset.", "extra": {}}


def field_errors(fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": "invalid",
        "message": "The request has invalid fields.",
        "extra": {"fields": fields},
    }


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else serializers.DateTimeField().to_representation(moment)


@pytest.fixture(autouse=True)
def throttle_rates(settings: Settings) -> Iterator[None]:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"login": "10/min", "token_create": "20/hour"},
    }
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def grace(db: None) -> User:
    return User.objects.create_user("grace", password="another horse battery")


def create(client: Client, body: Any, **headers: Any) -> HttpResponse:
    return client.post(TOKENS, body, content_type="application/json", **headers)  # type: ignore[return-value]


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


def listed(token: ApiToken) -> dict[str, Any]:
    token.refresh_from_db()
    return {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "scopes": token.scopes,
        "dataset": token.dataset_id,
        "created_at": iso(token.created_at),
        "expires_at": iso(token.expires_at),
        "last_used_at": iso(token.last_used_at),
        "revoked_at": iso(token.revoked_at),
        "is_active": token.is_active_at(timezone.now()),
    }


def audit_rows() -> list[tuple[str, str]]:
    return list(AuditEvent.objects.values_list("action", "target_id"))


# --- Create -------------------------------------------------------------------------------------


def test_create_shows_the_secret_once_and_stores_its_hash(user: User, user_client: Client) -> None:
    expires_at = timezone.now() + timedelta(days=90)

    response = create(
        user_client,
        {
            "name": "  nightly export ",
            "scopes": ["export:read"],
            "expires_at": expires_at.isoformat(),
        },
    )

    assert response.status_code == 201
    body = response.json()
    token = ApiToken.objects.get()
    secret = body["secret"]
    assert body == {**listed(token), "secret": secret}
    assert (token.user_id, token.name, token.scopes) == (user.pk, "nightly export", ["export:read"])
    assert token.expires_at == expires_at
    match = SECRET.fullmatch(secret)
    assert match is not None
    assert match.group(1) == token.prefix
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert "no-store" in response["Cache-Control"]
    assert audit_rows() == [(AuditAction.TOKEN_CREATE, str(token.pk))]

    # Never again: the list shows neither the secret nor its hash.
    again = user_client.get(TOKENS)
    assert again.json() == [listed(token)]
    assert secret.encode() not in again.content
    assert token.key_hash.encode() not in again.content

    # And it works, and says when it was last used.
    whoami = Client().get(WHOAMI, **bearer(secret))
    assert (whoami.status_code, whoami.json()["auth"]) == (200, "token")
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert user_client.get(TOKENS).json()[0]["last_used_at"] == iso(token.last_used_at)


def test_create_with_a_dataset_the_user_works_on(user: User, user_client: Client) -> None:
    dataset = DatasetFactory()
    Membership.objects.create(user=user, dataset=dataset, role=Membership.Role.ANNOTATOR)

    response = create(
        user_client, {"name": "labeler", "scopes": ["annotate"], "dataset": dataset.pk}
    )

    assert response.status_code == 201
    token = ApiToken.objects.get()
    assert (response.json()["dataset"], token.dataset_id) == (dataset.pk, dataset.pk)
    whoami = Client().get(WHOAMI, **bearer(response.json()["secret"]))
    assert whoami.json()["token"]["dataset"] == dataset.pk


@pytest.mark.parametrize("exists", [True, False], ids=["another-users-dataset", "no-such-dataset"])
def test_create_with_a_dataset_the_user_cannot_see_is_404(
    user: User, user_client: Client, grace: User, exists: bool
) -> None:
    dataset = DatasetFactory()
    Membership.objects.create(user=grace, dataset=dataset, role=Membership.Role.LEAD)
    dataset_id = dataset.pk if exists else dataset.pk + 1000

    response = create(user_client, {"name": "x", "scopes": ["manage"], "dataset": dataset_id})

    assert response.status_code == 404
    assert response.json() == NO_SUCH_DATASET
    assert ApiToken.objects.count() == 0
    assert audit_rows() == []


def test_staff_may_bind_a_token_to_any_dataset(client: Client, db: None) -> None:
    staff = User.objects.create_user("root", password="pw", is_staff=True)
    client.force_login(staff)
    dataset = DatasetFactory()

    response = create(client, {"name": "admin", "scopes": ["manage"], "dataset": dataset.pk})

    assert response.status_code == 201
    assert ApiToken.objects.get().dataset_id == dataset.pk


_UNKNOWN_SCOPE = [
    {"code": "invalid_choice", "message": "Unknown scope: use export:read, annotate, manage."}
]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (
            {"name": "x", "scopes": ["manage"], "user": 1},
            {"user": [{"code": "invalid", "message": "Unknown field."}]},
        ),
        (
            {"name": "x", "scopes": ["manage"], "key_hash": "0" * 64, "prefix": "mine"},
            {
                "key_hash": [{"code": "invalid", "message": "Unknown field."}],
                "prefix": [{"code": "invalid", "message": "Unknown field."}],
            },
        ),
        (
            {"name": "x", "scopes": ["manage"], "\ud800": 1, "a" * 300: 2},
            {
                "\\ud800": [{"code": "invalid", "message": "Unknown field."}],
                "a" * 100: [{"code": "invalid", "message": "Unknown field."}],
            },
        ),
        (
            {"name": "ci\x00", "scopes": ["manage"]},
            {
                "name": [
                    {
                        "code": "null_characters_not_allowed",
                        "message": "Null characters are not allowed.",
                    }
                ]
            },
        ),
        (
            {"name": "ci\udfff", "scopes": ["manage"]},
            {
                "name": [
                    {
                        "code": "surrogate_characters_not_allowed",
                        "message": "Surrogate characters are not allowed: U+DFFF.",
                    }
                ]
            },
        ),
        (
            {"name": "x" * 201, "scopes": ["manage"]},
            {
                "name": [
                    {
                        "code": "max_length",
                        "message": "Ensure this field has no more than 200 characters.",
                    }
                ]
            },
        ),
        (
            {"name": "   ", "scopes": ["manage"]},
            {"name": [{"code": "blank", "message": "This field may not be blank."}]},
        ),
        (
            {"scopes": ["manage"]},
            {"name": [{"code": "required", "message": "This field is required."}]},
        ),
        (
            {"name": "x", "scopes": []},
            {"scopes": [{"code": "empty", "message": "This list may not be empty."}]},
        ),
        ({"name": "x", "scopes": ["root"]}, {"scopes": {"0": _UNKNOWN_SCOPE}}),
        ({"name": "x", "scopes": ["export", "manage"]}, {"scopes": {"0": _UNKNOWN_SCOPE}}),
        ({"name": "x", "scopes": ["manage", "\ud800"]}, {"scopes": {"1": _UNKNOWN_SCOPE}}),
        ({"name": "x", "scopes": ["manage", {"a": 1}]}, {"scopes": {"1": _UNKNOWN_SCOPE}}),
        (
            {"name": "x", "scopes": "manage"},
            {
                "scopes": [
                    {
                        "code": "not_a_list",
                        "message": 'Expected a list of items but got type "str".',
                    }
                ]
            },
        ),
        (
            {"name": "x", "scopes": ["manage"] * 4},
            {
                "scopes": [
                    {
                        "code": "max_length",
                        "message": "Ensure this field has no more than 3 elements.",
                    }
                ]
            },
        ),
        (
            {"name": "x", "scopes": ["manage"], "dataset": 2**63},
            {
                "dataset": [
                    {
                        "code": "max_value",
                        "message": f"Ensure this value is less than or equal to {2**63 - 1}.",
                    }
                ]
            },
        ),
        (
            {"name": "x", "scopes": ["manage"], "dataset": "one"},
            {"dataset": [{"code": "invalid", "message": "A valid integer is required."}]},
        ),
        (
            {"name": "x", "scopes": ["manage"], "expires_at": "2000-01-01T00:00:00Z"},
            {"expires_at": [{"code": "invalid", "message": "The expiry must be in the future."}]},
        ),
        (
            {"name": "x", "scopes": ["manage"], "expires_at": "soon\x00"},
            {
                "expires_at": [
                    {
                        "code": "invalid",
                        "message": "Datetime has wrong format. Use one of these formats instead: "
                        "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].",
                    }
                ]
            },
        ),
        (
            ["manage"],
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
        "unknown-field",
        "mass-assignment",
        "hostile-field-names",
        "nul-name",
        "surrogate-name",
        "long-name",
        "blank-name",
        "no-name",
        "no-scopes",
        "unknown-scope",
        "old-scope-name",
        "surrogate-scope",
        "object-scope",
        "scopes-not-a-list",
        "too-many-scopes",
        "dataset-id-overflow",
        "dataset-not-an-id",
        "past-expiry",
        "nul-expiry",
        "not-an-object",
    ],
)
def test_create_refuses_bad_input_and_makes_nothing(
    user: User, user_client: Client, body: Any, fields: dict[str, Any]
) -> None:
    response = create(user_client, body)

    assert response.status_code == 400
    assert response.json() == field_errors(fields)
    assert ApiToken.objects.count() == 0
    assert audit_rows() == []


def test_create_is_throttled_per_user(user: User, user_client: Client, settings: Settings) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"login": "10/min", "token_create": "2/hour"},
    }
    for _ in range(2):
        assert create(user_client, {"name": "x", "scopes": ["manage"]}).status_code == 201

    throttled = create(user_client, {"name": "x", "scopes": ["manage"]})

    assert throttled.status_code == 429
    assert throttled.json()["code"] == "throttled"
    assert throttled.json()["extra"]["retry_after_seconds"] > 3500
    assert ApiToken.objects.count() == 2
    # Listing is not throttled, and another user has their own allowance.
    assert user_client.get(TOKENS).status_code == 200
    other = Client()
    other.force_login(User.objects.create_user("grace"))
    assert create(other, {"name": "x", "scopes": ["manage"]}).status_code == 201


def test_create_from_a_session_needs_the_csrf_token(user: User) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)

    response = create(browser, {"name": "x", "scopes": ["manage"]})

    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    assert ApiToken.objects.count() == 0


# --- List ---------------------------------------------------------------------------------------


def test_list_shows_the_callers_tokens_newest_first(
    user: User, user_client: Client, grace: User
) -> None:
    first, _ = make_token(user, name="first")
    second, _ = make_token(
        user,
        name="second",
        scopes=["annotate", "export:read"],
        expires_at=timezone.now() + timedelta(days=1),
    )
    revoked, _ = make_token(user, name="revoked")
    token_revoke(token=revoked, actor=Actor.for_user(user))
    make_token(grace, name="grace's")

    with CaptureQueriesContext(connection) as queries:
        response = user_client.get(TOKENS)

    assert response.status_code == 200
    assert response.json() == [listed(revoked), listed(second), listed(first)]
    assert response.json()[0]["is_active"] is False
    # Session, user, tokens: however many tokens there are.
    assert len(queries) == 3


def test_list_is_empty_for_a_user_without_tokens(grace: User, client: Client, user: User) -> None:
    make_token(user)
    client.force_login(grace)
    assert client.get(TOKENS).json() == []


# --- Revoke -------------------------------------------------------------------------------------


def test_revoke_takes_effect_at_once_and_is_idempotent(user: User, user_client: Client) -> None:
    token, secret = make_token(user)
    assert Client().get(WHOAMI, **bearer(secret)).status_code == 200

    response = user_client.delete(f"{TOKENS}{token.pk}/")

    assert response.status_code == 204
    assert response.content == b""
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Client().get(WHOAMI, **bearer(secret)).status_code == 401
    assert user_client.delete(f"{TOKENS}{token.pk}/").status_code == 204
    assert audit_rows() == [
        (AuditAction.TOKEN_CREATE, str(token.pk)),
        (AuditAction.TOKEN_REVOKE, str(token.pk)),
    ]


@pytest.mark.parametrize("target", ["grace's", "missing", "huge"])
def test_revoking_what_is_not_yours_is_404_and_changes_nothing(
    user: User, user_client: Client, grace: User, target: str
) -> None:
    token, secret = make_token(grace)
    token_id = {"grace's": token.pk, "missing": token.pk + 1000, "huge": 10**30}[target]
    audit_before = audit_rows()

    response = user_client.delete(f"{TOKENS}{token_id}/")

    assert response.status_code == 404
    assert response.json() == NO_SUCH_TOKEN
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    assert audit_rows() == audit_before
    assert Client().get(WHOAMI, **bearer(secret)).status_code == 200


# --- Who may manage tokens ----------------------------------------------------------------------


def test_a_token_cannot_list_create_or_revoke_tokens(user: User, client: Client) -> None:
    token, secret = make_token(user, scopes=["manage"])

    listed_ = client.get(TOKENS, **bearer(secret))
    created = create(client, {"name": "successor", "scopes": ["manage"]}, **bearer(secret))
    revoked = client.delete(f"{TOKENS}{token.pk}/", **bearer(secret))

    for response in (listed_, created, revoked):
        assert response.status_code == 403
        assert response.json() == TOKEN_MAY_NOT_MANAGE
    assert list(ApiToken.objects.values_list("pk", "revoked_at")) == [(token.pk, None)]
    assert audit_rows() == [(AuditAction.TOKEN_CREATE, str(token.pk))]


def test_nobody_is_asked_to_authenticate(client: Client, user: User) -> None:
    token, _ = make_token(user)
    for response in (
        client.get(TOKENS),
        create(client, {"name": "x", "scopes": ["manage"]}),
        client.delete(f"{TOKENS}{token.pk}/"),
    ):
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Bearer"
        assert response.json() == NOT_AUTHENTICATED
    assert list(ApiToken.objects.values_list("pk", "revoked_at")) == [(token.pk, None)]


def test_a_revoked_token_cannot_reach_the_token_endpoints(user: User, client: Client) -> None:
    token, secret = make_token(user)
    token_revoke(token=token, actor=Actor.for_user(user))
    response = client.get(TOKENS, **bearer(secret))
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


# --- OpenAPI ------------------------------------------------------------------------------------


def test_the_schema_generates_without_warnings_and_validates() -> None:
    urlconf = SimpleNamespace(urlpatterns=[path("api/v1/", include(urls_auth))])
    GENERATOR_STATS.reset()

    schema = SchemaGenerator(urlconf=urlconf).get_schema(request=None, public=True)

    assert not GENERATOR_STATS, "drf-spectacular emitted warnings or errors"
    validate_schema(schema)
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token: `Authorization: Bearer kd_<prefix>_<secret>`.",
    }
    operations = {
        operation["operationId"]: (method, route)
        for route, methods in schema["paths"].items()
        for method, operation in methods.items()
    }
    assert operations == {
        "auth_login": ("post", "/api/v1/auth/login/"),
        "auth_logout": ("post", "/api/v1/auth/logout/"),
        "auth_whoami": ("get", "/api/v1/auth/whoami/"),
        "auth_csrf": ("get", "/api/v1/auth/csrf/"),
        "tokens_list": ("get", "/api/v1/tokens/"),
        "tokens_create": ("post", "/api/v1/tokens/"),
        "tokens_revoke": ("delete", "/api/v1/tokens/{token_id}/"),
    }
    created = schema["paths"]["/api/v1/tokens/"]["post"]["responses"]
    assert set(created) == {"201", "400", "401", "403", "404", "429"}
    assert "secret" in schema["components"]["schemas"]["TokenCreatedOutput"]["required"]
    assert "secret" not in schema["components"]["schemas"]["TokenOutput"]["properties"]
