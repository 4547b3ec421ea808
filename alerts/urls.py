from django.urls import path

from alerts.api import (ChannelDetail, ChannelList, ChannelRotateSecret, ChannelTest, EventList, RuleDetail, RuleList,
                        RulePreview)

urlpatterns = [
    path("api/v1/alerts/channels", ChannelList.as_view(), name="alert-channels"),
    path("api/v1/alerts/channels/<int:pk>", ChannelDetail.as_view(), name="alert-channel"),
    path("api/v1/alerts/channels/<int:pk>/rotate-secret", ChannelRotateSecret.as_view(), name="alert-channel-rotate"),
    path("api/v1/alerts/channels/<int:pk>/test", ChannelTest.as_view(), name="alert-channel-test"),
    path("api/v1/alerts/rules", RuleList.as_view(), name="alert-rules"),
    path("api/v1/alerts/rules/<int:pk>", RuleDetail.as_view(), name="alert-rule"),
    path("api/v1/alerts/preview", RulePreview.as_view(), name="alert-preview"),
    path("api/v1/alerts/events", EventList.as_view(), name="alert-events"),
]
