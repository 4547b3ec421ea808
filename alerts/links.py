"""Links into the dashboard's explorer, in the URL format it reads (frontend/src/urlState.ts)."""

from datetime import datetime, timezone
from urllib.parse import urlencode

from django.conf import settings


def explorer_time(value: datetime) -> str:
    """RFC 3339 with milliseconds, as the explorer writes since/until itself."""
    return value.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def explorer_url(*, tenant_slug: str, query: str, since: datetime, until: datetime) -> str:
    params = {"tenant": tenant_slug}
    if query.strip():
        params["q"] = query.strip()
    params.update(since=explorer_time(since), until=explorer_time(until))
    return f"{settings.DEVLOGS_PUBLIC_URL}/?{urlencode(params)}"
