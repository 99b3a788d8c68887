"""Top-level URLs: the site, the admin, the REST API and its OpenAPI schema, /healthz."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from competitions.api.docs import LocalSwaggerView
from podium.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/docs/", LocalSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("competitions.urls")),
]
