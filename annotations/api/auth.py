"""Signing in and out, and who the caller is: ``/api/v1/auth/...``.

A browser (or a script that wants a session) first GETs ``csrf/`` for the CSRF cookie, then
POSTs ``login/`` with that token in ``X-CSRFToken``. Login checks CSRF even though nobody is
signed in yet, so another site cannot sign a visitor into an account of its choosing.
"""

from __future__ import annotations

from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ImproperlyConfigured
from django.middleware.csrf import get_token
from django.utils.cache import patch_cache_control
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from annotations.api.authentication import (
    BearerTokenAuthentication,
    SessionCsrfAuthentication,
    enforce_csrf,
)
from annotations.api.common import ERROR_SCHEMA, StrictSerializer, errors
from annotations.api.serializers import CurrentUserOutput
from annotations.models import ApiToken

# --- Input hygiene shared by the auth and token endpoints ---------------------------------------


# --- Throttles ----------------------------------------------------------------------------------


class ConfiguredRateThrottle(SimpleRateThrottle):
    """A throttle whose rate is ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope]``, read per
    request: DRF's own classes copy the rates when they are imported, so a changed setting
    (tests, a reload) would not reach them. A missing rate is a configuration error."""

    def get_rate(self) -> str:
        rates = api_settings.DEFAULT_THROTTLE_RATES or {}
        rate = rates.get(self.scope) if self.scope is not None else None
        if not rate:
            raise ImproperlyConfigured(
                f"REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'] has no rate for {self.scope!r}."
            )
        return str(rate)

    def client_address(self, request: Request) -> str:
        # With NUM_PROXIES unset DRF believes X-Forwarded-For as sent, and any client can write
        # that header; without a declared proxy count only the socket address can be trusted.
        if api_settings.NUM_PROXIES is None:
            return str(request.META.get("REMOTE_ADDR", ""))
        return self.get_ident(request)


class LoginRateThrottle(ConfiguredRateThrottle):
    """Login attempts per client address (rate ``login``), whether they succeed or not."""

    scope = "login"

    def get_cache_key(self, request: Request, view: APIView) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.client_address(request)}


class TokenCreateRateThrottle(ConfiguredRateThrottle):
    """Tokens created per user (rate ``token_create``)."""

    scope = "token_create"

    def get_cache_key(self, request: Request, view: APIView) -> str:
        ident = request.user.pk if request.user.is_authenticated else self.client_address(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


# --- Serializers --------------------------------------------------------------------------------


class InvalidCredentials(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_credentials"
    # One message for an unknown user, a wrong password and an inactive account: which of them
    # it was would tell an attacker which usernames exist.
    default_detail = "The username or password is not correct."


class LoginInput(StrictSerializer):
    """A username and password. Unknown fields are refused."""

    username = serializers.CharField(max_length=150)
    # Not trimmed: spaces are part of a password. Bounded: hashing megabytes is a cheap DoS.
    password = serializers.CharField(
        max_length=1024, trim_whitespace=False, style={"input_type": "password"}
    )


class TokenSummaryOutput(serializers.Serializer[ApiToken]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField()
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=ApiToken.Scope.choices))
    dataset = serializers.IntegerField(source="dataset_id", allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)


class WhoAmIOutput(CurrentUserOutput):
    auth = serializers.ChoiceField(
        choices=["session", "token"], help_text="How this request was authenticated."
    )
    token = TokenSummaryOutput(
        allow_null=True, help_text="The API token of this request; null for a session."
    )


CsrfTokenOutput = inline_serializer(
    name="CsrfToken",
    fields={"csrf_token": serializers.CharField(help_text="Send it in the X-CSRFToken header.")},
)

CSRF_FAILED = OpenApiResponse(
    ERROR_SCHEMA,
    description="A session request without a valid CSRF token (code csrf_failed).",
)

# --- Views --------------------------------------------------------------------------------------


def signed_in_user(request: Request) -> AbstractBaseUser:
    """The authenticated user of a view whose permissions let only signed-in users through."""
    user = request.user
    if not isinstance(user, AbstractBaseUser):
        raise exceptions.NotAuthenticated()
    return user


class LoginApi(APIView):
    """Sign in with a username and password, starting a session."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginRateThrottle]

    @extend_schema(
        operation_id="auth_login",
        request=LoginInput,
        responses={
            200: CurrentUserOutput,
            **errors(400, 429),
            403: CSRF_FAILED,
        },
        description=(
            "Starts a session and rotates the CSRF token (the new one comes in the csrftoken "
            "cookie). Wrong credentials: 400 invalid_credentials, the same for an unknown user."
        ),
    )
    def post(self, request: Request) -> Response:
        enforce_csrf(request)
        credentials = LoginInput(data=request.data)
        credentials.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=credentials.validated_data["username"],
            password=credentials.validated_data["password"],
        )
        if user is None:
            raise InvalidCredentials()
        # Also a new session key and a new CSRF token: what was fixed before login is useless.
        login(request._request, user)
        return Response(CurrentUserOutput(user).data)


class LogoutApi(APIView):
    """End the session. API tokens are not affected: revoke them with DELETE /tokens/{id}/."""

    authentication_classes = [SessionCsrfAuthentication]
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="auth_logout",
        request=None,
        responses={204: None, 403: CSRF_FAILED},
    )
    def post(self, request: Request) -> Response:
        logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WhoAmIApi(APIView):
    """The caller, and whether it came with a session or an API token (and which)."""

    authentication_classes = [BearerTokenAuthentication, SessionCsrfAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="auth_whoami", responses={200: WhoAmIOutput, **errors(401)})
    def get(self, request: Request) -> Response:
        user = signed_in_user(request)
        token = request.auth if isinstance(request.auth, ApiToken) else None
        caller = {
            "id": user.pk,
            "username": user.get_username(),
            "is_staff": bool(getattr(user, "is_staff", False)),
            "auth": "session" if token is None else "token",
            "token": token,
        }
        return Response(WhoAmIOutput(caller).data)


class CsrfTokenApi(APIView):
    """Set the csrftoken cookie and return its token, for a client about to log in."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(operation_id="auth_csrf", responses={200: CsrfTokenOutput})
    def get(self, request: Request) -> Response:
        response = Response({"csrf_token": get_token(request._request)})
        patch_cache_control(response, no_store=True)
        return response
