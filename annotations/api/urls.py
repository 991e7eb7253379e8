from __future__ import annotations

from django.urls import path

from annotations.api.views import CurrentUserApi

app_name = "api"

urlpatterns = [
    path("me/", CurrentUserApi.as_view(), name="current-user"),
]
