from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations.api.serializers import CurrentUserOutput


class CurrentUserApi(APIView):
    """The signed-in user, so a client can tell whose session or token it holds."""

    @extend_schema(responses=CurrentUserOutput, operation_id="current_user_get")
    def get(self, request: Request) -> Response:
        return Response(CurrentUserOutput(request.user).data)
