"""ASGI entry point: HTTP to Django, WebSockets to the live tail.

In embedded mode the processor also runs here, as a thread of the server process,
so one command runs the whole platform.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "devlogs.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from accounts.websocket_auth import ApiKeyWebsocketMiddleware, BrowserOriginValidator  # noqa: E402
from devlogs.body_limit import BodyLimitMiddleware  # noqa: E402
from logs.routing import websocket_urlpatterns  # noqa: E402


def _leave_bodies_to_django() -> None:
    # daphne's requests are Twisted's, which parse form bodies themselves although daphne never
    # uses the result: a multipart body without a boundary got a bare 400 and a closed connection
    # before Django could answer with our JSON error (and every form body was parsed twice).
    try:
        from daphne.http_protocol import WebRequest
    except ImportError:  # another ASGI server
        return
    if getattr(WebRequest, "_devlogs_forms_left_alone", False):
        return
    init = WebRequest.__init__

    def __init__(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self._parsePOSTFormSubmission = False  # Twisted's switch for exactly this (twisted.web.http.Request)

    WebRequest.__init__ = __init__
    WebRequest._devlogs_forms_left_alone = True


_leave_bodies_to_django()

application = ProtocolTypeRouter({
    "http": BodyLimitMiddleware(django_asgi_app),
    "websocket": BrowserOriginValidator(AuthMiddlewareStack(ApiKeyWebsocketMiddleware(URLRouter(websocket_urlpatterns)))),
})

if settings.DEVLOGS_PROCESSOR_IN_SERVER:
    from logs.retention import start_retention_thread  # noqa: E402
    from processing.in_server import start_processor_thread, use_direct_writes  # noqa: E402

    if settings.DEVLOGS_QUEUE == "embedded" and settings.DEVLOGS_EMBEDDED_DIRECT_WRITES:
        use_direct_writes()
    start_processor_thread()
    start_retention_thread(settings.DEVLOGS_RETENTION_EVERY_SECONDS)

if settings.DEVLOGS_ALERTS_IN_SERVER:
    from alerts.worker import start_alerts_thread  # noqa: E402

    start_alerts_thread()
