from django.urls import path

from dashboards.api import (DashboardDetail, DashboardLayout, DashboardList, WidgetDataView, WidgetDetail, WidgetList,
                            WidgetPreview)

urlpatterns = [
    path("api/v1/dashboards", DashboardList.as_view(), name="dashboards"),
    path("api/v1/dashboards/widget-preview", WidgetPreview.as_view(), name="dashboard-widget-preview"),
    path("api/v1/dashboards/<uuid:uid>", DashboardDetail.as_view(), name="dashboard"),
    path("api/v1/dashboards/<uuid:uid>/layout", DashboardLayout.as_view(), name="dashboard-layout"),
    path("api/v1/dashboards/<uuid:uid>/widgets", WidgetList.as_view(), name="dashboard-widgets"),
    path("api/v1/dashboards/<uuid:uid>/widgets/<int:pk>", WidgetDetail.as_view(), name="dashboard-widget"),
    path("api/v1/dashboards/<uuid:uid>/widgets/<int:pk>/data", WidgetDataView.as_view(), name="dashboard-widget-data"),
]
