"""Per-tenant and per-key ingest quotas (work in progress: limits are filled in next)."""


class QuotaExceeded(Exception):
    def __init__(self, code: str, message: str, retry_after: int):
        super().__init__(message)
        self.code, self.message, self.retry_after = code, message, retry_after


def admit(*, tenant, key, lines: int, size_bytes: int) -> None:
    return None
