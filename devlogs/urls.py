from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from devlogs.dashboard import dashboard
from devlogs.errors import json_error
from ingest.views import IngestView
from logs.views import AppListView, DeleteByQueryView, LogSearchView, MeView

handler404 = "devlogs.errors.handler404"
handler500 = "devlogs.errors.handler500"


def by_method(**views):
    """One URL, a view per HTTP method: POST /api/v1/logs ingests, GET searches."""

    @csrf_exempt  # each DRF view enforces CSRF itself for session-authenticated requests
    def view(request, *args, **kwargs):
        handler = views.get(request.method)
        if handler is None:
            return json_error(405, "method_not_allowed", f"Use {' or '.join(views)} on {request.path}.")
        return handler(request, *args, **kwargs)

    return view


urlpatterns = [
    path("api/v1/logs", by_method(GET=LogSearchView.as_view(), POST=IngestView.as_view()), name="logs"),
    path("api/v1/logs/delete", DeleteByQueryView.as_view(), name="logs-delete"),
    path("api/v1/apps", AppListView.as_view(), name="apps"),
    path("api/v1/me", MeView.as_view(), name="me"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", dashboard, name="dashboard"),
]
