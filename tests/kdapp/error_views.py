"""Views that fail on purpose, to check the error shape end to end (used by test_errors)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.errors import ConflictError
from kdapp import urls as project_urls


class NoteInput(serializers.Serializer[dict[str, object]]):
    title = serializers.CharField(max_length=10)
    tags = serializers.ListField(child=serializers.IntegerField())


class ValidatingApi(APIView):
    authentication_classes = []
    permission_classes = []

    def post(self, request: Request) -> Response:
        NoteInput(data=request.data).is_valid(raise_exception=True)
        return Response({"ok": True})


class ConflictApi(APIView):
    authentication_classes = []
    permission_classes = []

    def post(self, request: Request) -> Response:
        raise ConflictError("The item is already in review.", extra={"status": "in_review"})


class BrokenApi(APIView):
    authentication_classes = []
    permission_classes = []

    def get(self, request: Request) -> Response:
        raise RuntimeError("secret internals: /srv/kd/settings.py line 12")


def broken_plain_view(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("secret internals from a plain view")


urlpatterns = [
    path("api/test/validate/", ValidatingApi.as_view()),
    path("api/test/conflict/", ConflictApi.as_view()),
    path("api/test/broken/", BrokenApi.as_view()),
    path("api/test/broken-plain/", broken_plain_view),
    path("", include(project_urls)),
]
handler404 = project_urls.handler404
handler500 = project_urls.handler500
