"""Each tenant's redactor, compiled from its policy in the database (ingest/models.py) and cached.

Kept apart from ingest/redaction.py, which the model imports (to validate and to drop this
cache when a policy is saved): the engine knows nothing of models.
"""

import logging
import time

from django.conf import settings
from django.db import DatabaseError

from ingest import redaction
from ingest.models import RedactionPolicy
from ingest.redaction import Redactor

log = logging.getLogger("devlogs.ingest.redaction")


def redactor_for_tenant(tenant_id: int) -> Redactor:
    """The tenant's redactor, re-read from the database at most every DEVLOGS_REDACTION_CACHE_SECONDS.

    Saving a policy invalidates this process's entry at once; other ingest processes pick the
    change up when their entry expires.
    """
    now = time.monotonic()
    cached = redaction.cached_by_tenant.get(tenant_id)
    if cached is not None and now - cached[0] < settings.DEVLOGS_REDACTION_CACHE_SECONDS:
        return cached[1]
    try:
        policy = RedactionPolicy.objects.filter(tenant_id=tenant_id).first()
    except DatabaseError:
        if cached is None:
            raise
        log.warning("redaction policy unreadable, keeping the cached one tenant=%s", tenant_id)
        return cached[1]
    redactor = redaction.compile_spec((policy or RedactionPolicy()).spec())
    redaction.cached_by_tenant[tenant_id] = (now, redactor)
    return redactor
