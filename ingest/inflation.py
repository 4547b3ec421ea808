"""A server-wide budget for request bytes inflated at once.

One gzip body of 45 KB may inflate to 45 MB (and its parse to several times that); sixteen at
once took a server from 226 MB to 1.9 GB. Every inflated chunk is charged to the request being
served (InflationBudgetMiddleware opens an account, and closes it when the response is made).

Past DEVLOGS_INFLATE_BUDGET_BYTES in flight, the oldest requests are served first: a request
waits (at most WAIT_SECONDS) for bytes to come back if what it and every older request hold,
plus what it asks for, fits in the budget; any other is refused at once with 503 and
Retry-After, which frees what it held for the older ones. Without that order, sixteen bodies
inflating side by side each held a share when the budget filled and all sixteen were refused.
Code that inflates outside a request (benchmarks, the syslog listener) is not charged.
"""

import itertools
import threading
import time
from contextvars import ContextVar

from django.conf import settings

from devlogs.errors import ApiError
from devlogs.process_memory import trim

RETRY_AFTER_SECONDS = 1
# A request that inflated this much leaves tens of MB of freed heap behind: hand it back.
TRIM_AFTER_BYTES = 8 * 1024 * 1024
# Long enough for an older body to finish inflating and parsing, short of clients' timeouts.
WAIT_SECONDS = 5.0


class _Budget:
    def __init__(self):
        self._changed = threading.Condition()
        self._tickets = itertools.count()
        self._held: dict[int, int] = {}  # account ticket -> bytes held; tickets grow with age
        self.in_flight = 0

    def open(self) -> int:
        with self._changed:
            ticket = next(self._tickets)
            self._held[ticket] = 0
            return ticket

    def take(self, ticket: int, size: int, wait: float = WAIT_SECONDS) -> bool:
        deadline = time.monotonic() + wait
        limit = settings.DEVLOGS_INFLATE_BUDGET_BYTES
        with self._changed:
            while True:
                if self.in_flight + size <= limit:
                    self.in_flight += size
                    self._held[ticket] += size
                    return True
                older = sum(held for other, held in self._held.items() if other <= ticket)
                remaining = deadline - time.monotonic()
                if older + size > limit or remaining <= 0:
                    return False
                self._changed.wait(remaining)

    def close(self, ticket: int) -> int:
        """Give back what the account held; returns how much that was."""
        with self._changed:
            held = self._held.pop(ticket, 0)
            self.in_flight -= held
            self._changed.notify_all()
            return held


budget = _Budget()
_account: ContextVar[int | None] = ContextVar("devlogs_inflation_account", default=None)


def charge(size: int) -> None:
    """Count `size` more inflated bytes against the request being served; 503 past the budget."""
    ticket = _account.get()
    if ticket is None or size <= 0:
        return
    if not budget.take(ticket, size):
        raise ApiError(503, "server_busy", "The server is inflating as many compressed bodies as it can hold; "
                       "nothing was accepted. Retry shortly.", field="body",
                       headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


class InflationBudgetMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        ticket = budget.open()
        token = _account.set(ticket)
        try:
            return self.get_response(request)
        finally:
            _account.reset(token)
            if budget.close(ticket) >= TRIM_AFTER_BYTES:
                trim()
