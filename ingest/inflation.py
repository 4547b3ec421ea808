"""A server-wide budget for request bytes inflated at once.

One gzip body of 45 KB may inflate to 45 MB (and its parse to several times that); sixteen at
once took a server from 226 MB to 1.9 GB. Every inflated chunk is charged to the request being
served (InflationBudgetMiddleware opens the account, and gives it back when the response is
made); past DEVLOGS_INFLATE_BUDGET_BYTES in flight, the request is refused with 503 and
Retry-After, and the bytes it held are freed. Code that inflates outside a request (benchmarks,
the syslog listener) is not charged.
"""

import threading
from contextvars import ContextVar

from django.conf import settings

from devlogs.errors import ApiError

RETRY_AFTER_SECONDS = 1
_account: ContextVar[list[int] | None] = ContextVar("devlogs_inflation_account", default=None)


class _Budget:
    def __init__(self):
        self._lock = threading.Lock()
        self.in_flight = 0

    def take(self, size: int) -> bool:
        with self._lock:
            if self.in_flight + size > settings.DEVLOGS_INFLATE_BUDGET_BYTES:
                return False
            self.in_flight += size
            return True

    def give(self, size: int) -> None:
        with self._lock:
            self.in_flight -= size


budget = _Budget()


def charge(size: int) -> None:
    """Count `size` more inflated bytes against the request being served; 503 past the budget."""
    account = _account.get()
    if account is None or size <= 0:
        return
    if not budget.take(size):
        raise ApiError(503, "server_busy", "The server is inflating as many compressed bodies as it can hold; "
                       "nothing was accepted. Retry shortly.", field="body",
                       headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    account[0] += size


class InflationBudgetMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        account = [0]
        token = _account.set(account)
        try:
            return self.get_response(request)
        finally:
            _account.reset(token)
            budget.give(account[0])
