from __future__ import annotations

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from kdapp import errors, frontend, health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("annotations.api.urls")),
    re_path(r"^api/", errors.api_not_found),
    # Every other path is a route of the browser app (login, datasets, workspace, history...).
    path("", frontend.app_shell, name="home"),
    re_path(
        r"^(?P<route>(?:login|datasets|annotate|items|jobs|help|reviews)(?:/.*)?)$",
        frontend.app_shell,
    ),
]

handler404 = "kdapp.errors.page_not_found"
handler500 = "kdapp.errors.server_error"
