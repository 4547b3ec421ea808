"""The demo tenant, app, key and admin user that the run command prints."""

import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from accounts.keys import api_key_create, api_key_revoke
from accounts.models import ApiKey, App, Membership, Role, Tenant

DEMO_KEY_NAME = "demo (printed by the run command)"


@dataclass(frozen=True)
class DemoCredentials:
    tenant: str
    app: str
    api_key: str
    username: str
    password: str


@transaction.atomic
def ensure_demo(*, tenant_slug: str = "demo", app_slug: str = "web", username: str = "admin") -> DemoCredentials:
    """Create what is missing; issue a fresh key and password (the old demo key is revoked)."""
    tenant, _ = Tenant.objects.get_or_create(slug=tenant_slug, defaults={"name": "Demo"})
    app, _ = App.objects.get_or_create(tenant=tenant, slug=app_slug, defaults={"name": "Web"})
    user, _ = get_user_model().objects.get_or_create(username=username, defaults={"is_staff": True,
                                                                                 "is_superuser": True})
    password = secrets.token_urlsafe(12)
    user.set_password(password)
    user.save()
    Membership.objects.get_or_create(user=user, tenant=tenant, defaults={"role": Role.OWNER})
    for old in ApiKey.objects.filter(app=app, name=DEMO_KEY_NAME, revoked_at__isnull=True):
        api_key_revoke(key=old)
    _, raw = api_key_create(app=app, scopes=["ingest", "read"], name=DEMO_KEY_NAME)
    return DemoCredentials(tenant=tenant.slug, app=app.slug, api_key=raw, username=username, password=password)
