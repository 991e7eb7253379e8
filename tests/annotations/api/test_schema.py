"""The generated OpenAPI schema documents the 401 of every operation that takes a bearer token."""

from __future__ import annotations

from typing import Any

from drf_spectacular.generators import SchemaGenerator

from annotations.api.schema import UNAUTHENTICATED


def operations() -> dict[str, dict[str, Any]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        operation["operationId"]: operation
        for methods in schema["paths"].values()
        for operation in methods.values()
    }


def test_401_is_documented_exactly_where_a_bearer_token_is_taken() -> None:
    documented = {
        operation_id: "401" in operation["responses"]
        for operation_id, operation in operations().items()
    }
    takes_bearer = {
        operation_id: {"bearerAuth": []} in operation["security"]
        for operation_id, operation in operations().items()
    }
    assert documented == takes_bearer
    # No authentication at all, or a session only: never 401.
    assert not any(documented[name] for name in ("auth_csrf", "auth_login", "auth_logout"))


def test_the_401_is_the_error_shape_and_an_operations_own_401_is_kept() -> None:
    everything = operations()
    assert everything["datasets_list"]["responses"]["401"] == {
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        "description": UNAUTHENTICATED.description,
    }
    assert everything["tokens_list"]["responses"]["401"]["description"] == (
        "The API token is unknown, expired or revoked."
    )
