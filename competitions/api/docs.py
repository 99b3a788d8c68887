"""The API docs page with Swagger UI served from static/vendor, never from a CDN."""

from django.templatetags.static import static
from drf_spectacular.views import SpectacularSwaggerSplitView


class LocalSwaggerView(SpectacularSwaggerSplitView):
    """The split view: its start-up script is a request of its own, so no inline script (CSP)."""

    template_name = "api/swagger_ui.html"

    @staticmethod
    def _swagger_ui_resource(filename):
        return static(f"vendor/swagger-ui/{filename}")

    @staticmethod
    def _swagger_ui_favicon():
        return static("vendor/swagger-ui/favicon-32x32.png")
