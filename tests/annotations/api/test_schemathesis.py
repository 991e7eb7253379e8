"""schemathesis over the live OpenAPI schema, for every kind of caller.

The schema is the one the app serves at /api/schema/, and every request goes through the real
WSGI application (``kdapp.wsgi``) in this process, on the test's database transaction: no
server, no network. One test per operation; each generated request is sent once per caller
(nobody, an annotator, a lead and an outsider on sessions, an admin, and an export token), and
every response must pass the checks in ``CONFIG``.

Reproduce a failure from the curl command in its report, or rerun the one operation with
``pytest tests/annotations/api/test_schemathesis.py -k 'POST and tokens'``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.conf import settings
from django.contrib.auth.models import User
from django.core import signals
from django.core.cache import cache
from django.db import close_old_connections
from django.test import Client
from pytest_django.fixtures import Settings
from schemathesis.core.failures import FailureGroup

from annotations.models import Annotation, ApiToken, Fact, Membership
from annotations.services.annotations import queue_next
from annotations.services.audit import Actor
from annotations.services.tokens import token_create
from kdapp.wsgi import application
from tests.annotations.api.conftest import World

# Any 32 characters of Django's CSRF alphabet are a valid secret, for the cookie and the header.
CSRF_TOKEN = "schemathesisCsrfToken0123456789a"

CONFIG = schemathesis.Config.from_dict(
    {
        # Fixed seed and derandomized Hypothesis: every run sends the same requests.
        "seed": 20261204,
        "generation": {
            # Valid and invalid input alike.
            "mode": "all",
            # Per operation in the fuzzing phase; the examples and coverage phases add their
            # own deterministic cases (boundaries, missing and wrong-typed fields, NUL, ...).
            "max-examples": 20,
            "deterministic": True,
            "database": "none",
            # Each caller's credentials are sent as they are; generated ones would replace them.
            "with-security-parameters": False,
        },
        # Stateful links are not declared in the schema; the operations run one by one.
        "phases": {"stateful": {"enabled": False}},
        "checks": {
            "enabled": False,
            "not_a_server_error": {"enabled": True},
            "status_code_conformance": {"enabled": True},
            "content_type_conformance": {"enabled": True},
            "response_schema_conformance": {"enabled": True},
            "negative_data_rejection": {
                "enabled": True,
                # schemathesis' default list, plus 412: a stale or garbled If-Match is refused
                # before the body is read, as HTTP evaluates preconditions before the content.
                "expected-statuses": [
                    *("400", "401", "403", "404", "405", "406", "409", "412", "415", "422"),
                    *("428", "429", "5xx"),
                ],
            },
        },
    }
)

schema = schemathesis.openapi.from_wsgi("/api/schema/", application, config=CONFIG)


@dataclass
class Caller:
    """Who sends a request: a session (cookie and CSRF header), an API token, or nobody."""

    role: str
    user: User | None = None
    token_secret: str | None = None
    session_key: str | None = None

    def sign_in(self) -> None:
        assert self.user is not None
        client = Client()
        client.force_login(self.user)
        self.session_key = client.cookies[settings.SESSION_COOKIE_NAME].value

    def transport_kwargs(self) -> dict[str, Any]:
        if self.token_secret is not None:
            return {"headers": {"Authorization": f"Bearer {self.token_secret}"}}
        # Nobody gets the CSRF pair too, so that a login gets past the CSRF check.
        cookies = {settings.CSRF_COOKIE_NAME: CSRF_TOKEN}
        if self.session_key is not None:
            cookies[settings.SESSION_COOKIE_NAME] = self.session_key
        return {"headers": {"X-CSRFToken": CSRF_TOKEN}, "cookies": cookies}


@dataclass
class Targets:
    """Ids and names that exist, to aim generated values at: random ones almost never do."""

    by_name: dict[str, list[Any]]

    def aim(self, case: schemathesis.Case) -> None:
        """Point about half of the well-typed ids and names of ``case`` at existing rows.

        Only values of the type the schema gives are replaced, and with values of that type, so
        a case generated as invalid stays invalid. The choice depends on the generated value
        alone, which keeps runs deterministic; zero and the empty string, the coverage phase's
        usual base values, are aimed, so that its variations get past the lookup of the object.
        """
        for name, value in case.path_parameters.items():
            case.path_parameters[name] = self._aimed(name, value)
        if isinstance(case.body, dict):
            case.body = self._aimed_body(case.body)
        if_match = case.headers.get("If-Match")
        if isinstance(if_match, str) and len(if_match) % 2 == 0:
            # The version the annotation is at, as a client that just loaded it would send.
            annotation_id = str(case.path_parameters.get("annotation_id"))
            annotation = (
                Annotation.objects.filter(pk=int(annotation_id)).first()
                if annotation_id.isascii() and annotation_id.isdigit()
                else None
            )
            case.headers["If-Match"] = f'"v{annotation.version if annotation else 1}"'

    def _aimed(self, name: str, value: Any) -> Any:
        known = self.by_name.get(name)
        if not known or isinstance(value, bool):
            return value
        if isinstance(value, int) and isinstance(known[0], int) and value % 2 == 0:
            return known[value // 2 % len(known)]
        if isinstance(value, str) and value.isascii() and value.isdigit():
            # An integer the coverage phase has already written out; it stays a string.
            return str(self._aimed(name, int(value)))
        if isinstance(value, str) and isinstance(known[0], str) and len(value) % 2 == 0:
            return known[len(value) // 2 % len(known)]
        return value

    def _aimed_body(self, body: Any) -> Any:
        if isinstance(body, dict):
            return {key: self._aimed_body(self._aimed(key, value)) for key, value in body.items()}
        if isinstance(body, list):
            return [self._aimed_body(value) for value in body]
        return body


@pytest.fixture
def same_connection_requests() -> Iterator[None]:
    """Serve requests on the test's database connection, inside its transaction, as Django's
    test client does: the WSGI handler would otherwise close the connection at each request."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def unthrottled(settings: Settings) -> Iterator[None]:
    """Without this, throttles would answer most generated logins and token creations with 429
    before the views see them."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"login": "100000/min", "token_create": "100000/min"},
    }
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def callers(world: World) -> list[Caller]:
    alpha = world.a
    # An open annotation per annotator of alpha, for the annotation endpoints to act on.
    for annotator in (world.annotator, world.other_annotator):
        queue_next(dataset=alpha, user=annotator, actor=Actor.for_user(annotator))
    callers = [Caller("anonymous")]
    sessions = {
        "annotator": world.annotator,
        "lead": world.lead,
        "outsider": world.outsider,
        "admin": world.admin,
    }
    for role, user in sessions.items():
        caller = Caller(role, user)
        caller.sign_in()
        callers.append(caller)
        # A token of each, for DELETE /tokens/{id}/ to revoke.
        token_create(
            user=user,
            name="spare",
            scopes=[ApiToken.Scope.ANNOTATE],
            dataset=None,
            expires_at=None,
            actor=Actor.for_user(user),
        )
    _, secret = token_create(
        user=world.lead,
        name="export",
        scopes=[ApiToken.Scope.EXPORT_READ],
        dataset=alpha,
        expires_at=None,
        actor=Actor.for_user(world.lead),
    )
    callers.append(Caller("export_token", world.lead, token_secret=secret))
    return callers


@pytest.fixture
def targets(world: World, callers: list[Caller]) -> Targets:
    tokens = ApiToken.objects.exclude(name="export")  # the export caller keeps its token
    return Targets(
        {
            "dataset_id": [world.a.pk, world.b.pk],
            "dataset": [world.a.pk, world.b.pk],
            "item_id": [item.pk for item in world.items],
            "annotation_id": [
                annotation.pk for item in world.items for annotation in item.annotations.all()
            ],
            "membership_id": list(Membership.objects.order_by("pk").values_list("pk", flat=True)),
            "token_id": list(tokens.order_by("pk").values_list("pk", flat=True)),
            "fact_id": list(Fact.objects.order_by("pk").values_list("pk", flat=True)),
            "username": sorted(User.objects.values_list("username", flat=True)),
        }
    )


@schema.parametrize()
@hypothesis.settings(
    # The world is built once per operation and changes as the requests go: that is the point.
    suppress_health_check=[
        hypothesis.HealthCheck.function_scoped_fixture,
        hypothesis.HealthCheck.too_slow,
    ]
)
def test_api_conforms_to_its_schema(
    case: schemathesis.Case,
    callers: list[Caller],
    targets: Targets,
    same_connection_requests: None,
    unthrottled: None,
) -> None:
    targets.aim(case)
    for caller in callers:
        kwargs = caller.transport_kwargs()
        response = case.call(**kwargs)
        try:
            case.validate_response(
                response,
                headers=kwargs["headers"],
                transport_kwargs={**kwargs, "app": application},
            )
        except FailureGroup as failure:
            raise FailureGroup(
                list(failure.exceptions), f"Caller: {caller.role}\n{failure.message}"
            ) from None
        if case.operation.label == "POST /api/v1/auth/logout/" and caller.session_key:
            caller.sign_in()
