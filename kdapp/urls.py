from __future__ import annotations

from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from kdapp import errors, health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("annotations.api.urls")),
    re_path(r"^api/", errors.api_not_found),
    path("", TemplateView.as_view(template_name="kdapp/home.html"), name="home"),
]

handler404 = "kdapp.errors.page_not_found"
handler500 = "kdapp.errors.server_error"
