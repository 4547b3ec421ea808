"""Broadcasting stored lines to live-tail sockets, one channel-layer message per tenant per batch.

Called by the processor after the database commit, never from the request path.
With the in-memory layer the processor is a thread of the server process, and the
layer's queues belong to the server's event loop: sends are handed to that loop.
"""

import asyncio
import logging
from collections import defaultdict

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

from accounts.models import App
from logs.entries import entry_from_line
from logline.envelope import Envelope

log = logging.getLogger("devlogs.live")

MESSAGE_TYPE = "logs.batch"  # handled by TailConsumer.logs_batch
# Bounds one channel-layer message; Redis layers refuse very large ones.
MAX_ENTRIES_PER_MESSAGE = 1000

_server_loop: asyncio.AbstractEventLoop | None = None
_app_slugs: dict[int, str] = {}


def tenant_group(tenant_id: int) -> str:
    return f"tenant.{tenant_id}"


def remember_server_loop() -> None:
    """Called by each socket as it connects, from the server's event loop."""
    global _server_loop
    _server_loop = asyncio.get_running_loop()


def _app_slug(app_id: int) -> str:
    slug = _app_slugs.get(app_id)
    if slug is None:
        slug = App.objects.filter(pk=app_id).values_list("slug", flat=True).first() or str(app_id)
        _app_slugs[app_id] = slug
    return slug


def publish_envelopes(envelopes: list[Envelope]) -> None:
    layer = get_channel_layer()
    if layer is None or (isinstance(layer, InMemoryChannelLayer) and _no_socket_here()):
        return  # nobody to tell: making the entries cost ~10 % of a processor's time (bench)
    by_tenant: dict[int, list[dict]] = defaultdict(list)
    for envelope in envelopes:
        slug = _app_slug(envelope.app_id)
        by_tenant[envelope.tenant_id].extend(
            entry_from_line(line, received_ns=envelope.received_ns, app_slug=slug) for line in envelope.lines)
    for tenant_id, entries in by_tenant.items():
        for start in range(0, len(entries), MAX_ENTRIES_PER_MESSAGE):
            chunk = entries[start:start + MAX_ENTRIES_PER_MESSAGE]
            _send(layer, tenant_group(tenant_id), {"type": MESSAGE_TYPE, "entries": chunk})


def _no_socket_here() -> bool:
    # The in-memory layer reaches only sockets of this process, and none has ever connected.
    return _server_loop is None or _server_loop.is_closed()


def send_to_group(group: str, message: dict) -> None:
    """One message to a live-tail group, from sync code (the processor, signal handlers)."""
    layer = get_channel_layer()
    if layer is not None:
        _send(layer, group, message)


def _send(layer, group: str, message: dict) -> None:
    if isinstance(layer, InMemoryChannelLayer):
        loop = _server_loop
        if _no_socket_here():
            return
        asyncio.run_coroutine_threadsafe(layer.group_send(group, message), loop).result(timeout=5)
    else:
        async_to_sync(layer.group_send)(group, message)
