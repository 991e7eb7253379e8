from __future__ import annotations

import json

from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext


def test_current_user_is_returned_to_a_signed_in_user(user: User, user_client: Client) -> None:
    with CaptureQueriesContext(connection) as queries:
        response = user_client.get("/api/v1/me/")

    assert response.status_code == 200
    assert response.json() == {"id": user.pk, "username": "ada", "is_staff": False}
    # The session and its user: nothing else.
    assert len(queries) == 2


def test_current_user_requires_authentication(anonymous_client: Client, db: None) -> None:
    response = anonymous_client.get("/api/v1/me/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {
        "code": "not_authenticated",
        "message": "Authentication is required: log in or send an API token.",
        "extra": {},
    }
