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
from devlogs.http_server import harden as harden_http_server  # noqa: E402
from devlogs.process_memory import return_large_blocks_to_the_system  # noqa: E402
from logs.routing import websocket_urlpatterns  # noqa: E402

harden_http_server(settings.DEVLOGS_HTTP_IDLE_SECONDS)  # Twisted's own answers, made ours (devlogs/http_server.py)
return_large_blocks_to_the_system()  # peaks of inflated bodies do not stay (devlogs/process_memory.py)

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
