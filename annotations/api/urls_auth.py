"""Sessions, the caller and API tokens, for ``annotations.api.urls`` to mount under /api/v1/."""

from __future__ import annotations

from django.urls import URLPattern, path

from annotations.api.auth import CsrfTokenApi, LoginApi, LogoutApi, WhoAmIApi
from annotations.api.tokens import TokenDetailApi, TokenListApi

urlpatterns: list[URLPattern] = [
    path("auth/login/", LoginApi.as_view(), name="auth-login"),
    path("auth/logout/", LogoutApi.as_view(), name="auth-logout"),
    path("auth/whoami/", WhoAmIApi.as_view(), name="auth-whoami"),
    path("auth/csrf/", CsrfTokenApi.as_view(), name="auth-csrf"),
    path("tokens/", TokenListApi.as_view(), name="token-list"),
    path("tokens/<int:token_id>/", TokenDetailApi.as_view(), name="token-detail"),
]
