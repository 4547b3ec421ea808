from django.urls import path

from logs.consumers import TailConsumer

websocket_urlpatterns = [
    path("ws/v1/tail", TailConsumer.as_asgi()),
]
