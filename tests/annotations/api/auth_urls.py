"""The project's URLs with the auth and token endpoints mounted under /api/v1/, as the
integrated ``annotations.api.urls`` will have them, plus one probe (used by the auth and token
tests)."""

from __future__ import annotations

from django.urls import include, path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.api import urls_auth
from annotations.api.authentication import BearerTokenAuthentication, SessionCsrfAuthentication
from annotations.models import ApiToken
from kdapp import urls as project_urls


class UnsafeProbeApi(APIView):
    """A POST that changes nothing, authenticated as the integrated settings will do it: shows
    which requests reach a view's unsafe method without a CSRF token."""

    authentication_classes = [BearerTokenAuthentication, SessionCsrfAuthentication]

    def post(self, request: Request) -> Response:
        return Response({"auth": "token" if isinstance(request.auth, ApiToken) else "session"})


urlpatterns = [
    path("api/v1/", include(urls_auth)),
    path("api/test/unsafe-probe/", UnsafeProbeApi.as_view()),
    path("", include(project_urls)),
]
handler404 = project_urls.handler404
handler500 = project_urls.handler500
