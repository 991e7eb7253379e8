"""The caller's API tokens: ``/api/v1/tokens/``.

Only a signed-in session manages tokens. A token cannot list, mint or revoke tokens: a leaked
token must not be able to make itself a successor that outlives its revocation.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.cache import patch_cache_control
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from annotations.api.auth import TokenCreateRateThrottle, signed_in_user
from annotations.api.authentication import BearerTokenAuthentication, SessionCsrfAuthentication
from annotations.api.common import ERROR_SCHEMA, StrictSerializer, errors
from annotations.errors import PermissionDeniedError
from annotations.models import ApiToken
from annotations.selectors.access import Access, dataset_get
from annotations.services.audit import Actor
from annotations.services.tokens import (
    token_create,
    token_get_for_user,
    token_list_for_user,
    token_revoke,
)

_BIGINT_MAX = 2**63 - 1


class IsSessionUser(BasePermission):
    """A signed-in user on a session; a request made with an API token is refused (403)."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not request.user.is_authenticated:
            return False
        if isinstance(request.auth, ApiToken):
            raise PermissionDeniedError(
                "API tokens cannot list, create or revoke tokens: sign in with a password."
            )
        return True


class ScopeField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            choices=ApiToken.Scope.choices,
            # Not DRF's message, which quotes the input (and a lone surrogate in it could not
            # be written into the JSON response).
            error_messages={
                "invalid_choice": f"Unknown scope: use {', '.join(ApiToken.Scope.values)}."
            },
            **kwargs,
        )


class TokenCreateInput(StrictSerializer):
    """A new token. Unknown fields are refused."""

    name = serializers.CharField(max_length=200, help_text="What the token is for.")
    scopes = serializers.ListField(
        child=ScopeField(),
        allow_empty=False,
        max_length=len(ApiToken.Scope.values),
        help_text="manage includes the others; annotate does not include export:read.",
    )
    dataset = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=_BIGINT_MAX,
        help_text="Bind the token to this dataset; omit or null for all of yours.",
    )
    expires_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Omit or null for a token that never expires."
    )

    def validate_expires_at(self, value: Any) -> Any:
        if value is not None and value <= timezone.now():
            raise serializers.ValidationError("The expiry must be in the future.")
        return value


# Typed Any, not ApiToken: DRF's stubs do not let a plain Serializer take a queryset (many=True).
class TokenOutput(serializers.Serializer[Any]):
    """An API token as its owner sees it: never its secret, nor the secret's hash."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="The start of the secret, to tell tokens apart.")
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=ApiToken.Scope.choices))
    dataset = serializers.IntegerField(source="dataset_id", allow_null=True)
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    is_active = serializers.SerializerMethodField(help_text="Neither revoked nor expired.")

    def get_is_active(self, token: ApiToken) -> bool:
        return token.is_active_at(timezone.now())


class TokenCreatedOutput(TokenOutput):
    """A token just created, with its secret: the only time the secret is shown."""

    secret = serializers.SerializerMethodField(
        help_text="The token itself, for `Authorization: Bearer`. Shown this once only."
    )

    def get_secret(self, token: ApiToken) -> str:
        return str(self.context["secret"])


_AUTHENTICATION = [BearerTokenAuthentication, SessionCsrfAuthentication]
_TOKEN_DENIED = OpenApiResponse(
    ERROR_SCHEMA,
    description=(
        "Made with an API token (permission_denied), or a session without a CSRF token "
        "(csrf_failed)."
    ),
)


class TokenListApi(APIView):
    authentication_classes = _AUTHENTICATION
    permission_classes = [IsSessionUser]

    def get_throttles(self) -> list[BaseThrottle]:
        if self.request.method == "POST":
            return [TokenCreateRateThrottle()]
        return []

    @extend_schema(
        operation_id="tokens_list",
        responses={200: TokenOutput(many=True), **errors(401), 403: _TOKEN_DENIED},
        description="Your API tokens, newest first, revoked and expired ones included.",
    )
    def get(self, request: Request) -> Response:
        tokens = token_list_for_user(user=signed_in_user(request))
        return Response(TokenOutput(tokens, many=True).data)

    @extend_schema(
        operation_id="tokens_create",
        request=TokenCreateInput,
        responses={
            201: TokenCreatedOutput,
            **errors(400, 401, 404, 429),
            403: _TOKEN_DENIED,
        },
        description=(
            "Create a token. The response carries its secret, which is not stored and cannot "
            "be shown again. A dataset you cannot see answers 404, as one that does not exist."
        ),
    )
    def post(self, request: Request) -> Response:
        user = signed_in_user(request)
        given = TokenCreateInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        dataset_id = data.get("dataset")
        dataset = (
            None
            if dataset_id is None
            else dataset_get(access=Access.of(request), dataset_id=dataset_id)
        )
        token, secret = token_create(
            user=user,
            name=data["name"],
            scopes=data["scopes"],
            dataset=dataset,
            expires_at=data.get("expires_at"),
            actor=Actor.for_user(user),
        )
        response = Response(
            TokenCreatedOutput(token, context={"secret": secret}).data,
            status=status.HTTP_201_CREATED,
        )
        # The secret must not linger in a browser or proxy cache.
        patch_cache_control(response, no_store=True)
        return response


class TokenDetailApi(APIView):
    authentication_classes = _AUTHENTICATION
    permission_classes = [IsSessionUser]

    @extend_schema(
        operation_id="tokens_revoke",
        responses={204: None, **errors(401, 404), 403: _TOKEN_DENIED},
        description=(
            "Revoke one of your tokens; it stops working at once. Revoking a revoked token is "
            "a no-op; another user's token is 404."
        ),
    )
    def delete(self, request: Request, token_id: int) -> Response:
        user = signed_in_user(request)
        token = token_get_for_user(user=user, token_id=token_id)
        token_revoke(token=token, actor=Actor.for_user(user))
        return Response(status=status.HTTP_204_NO_CONTENT)
