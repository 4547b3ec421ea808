from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.api import AppsView, KeyRevokeView, KeyRotateView, KeysView
from devlogs.dashboard import dashboard
from devlogs.health import healthz, readyz
from ingest.redaction_api import RedactionPolicyView
from ingest.usage_api import UsageView
from devlogs.endpoints import LogsEndpoint
from devlogs.metrics import metrics_view
from logs.saved_searches import SavedSearchDetail, SavedSearchList
from logs.sse import stream_view
from logs.views import (ContextView, CountView, DeleteByQueryView, EntryView, ExportView, FacetsView, HistogramView,
                        MeView)

handler404 = "devlogs.errors.handler404"
handler500 = "devlogs.errors.handler500"


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("api/v1/logs", LogsEndpoint.as_view(), name="logs"),
    path("api/v1/logs/delete", DeleteByQueryView.as_view(), name="logs-delete"),
    path("api/v1/logs/histogram", HistogramView.as_view(), name="logs-histogram"),
    path("api/v1/logs/facets", FacetsView.as_view(), name="logs-facets"),
    path("api/v1/logs/count", CountView.as_view(), name="logs-count"),
    path("api/v1/logs/export", ExportView.as_view(), name="logs-export"),
    path("api/v1/logs/stream", stream_view, name="logs-stream"),
    path("api/v1/logs/<uuid:event_id>", EntryView.as_view(), name="logs-entry"),
    path("api/v1/logs/<uuid:event_id>/context", ContextView.as_view(), name="logs-context"),
    path("api/v1/saved-searches", SavedSearchList.as_view(), name="saved-searches"),
    path("api/v1/saved-searches/<int:pk>", SavedSearchDetail.as_view(), name="saved-search"),
    path("api/v1/apps", AppsView.as_view(), name="apps"),
    path("api/v1/keys", KeysView.as_view(), name="keys"),
    path("api/v1/keys/<int:key_id>/revoke", KeyRevokeView.as_view(), name="key-revoke"),
    path("api/v1/keys/<int:key_id>/rotate", KeyRotateView.as_view(), name="key-rotate"),
    path("api/v1/usage", UsageView.as_view(), name="usage"),
    path("api/v1/me", MeView.as_view(), name="me"),
    path("api/v1/redaction", RedactionPolicyView.as_view(), name="redaction"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("", include("alerts.urls")),
    path("", include("dashboards.urls")),
    path("", include("shippers.urls")),
    path("", dashboard, name="dashboard"),
]
