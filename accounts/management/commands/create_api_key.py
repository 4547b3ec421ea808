"""Create an API key (and its tenant and app when missing); prints only the key."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.keys import create_api_key_for_slugs


class Command(BaseCommand):
    help = "Create an API key for TENANT/APP, creating both when missing. Prints only the key on stdout."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="tenant slug")
        parser.add_argument("--app", required=True, help="app slug")
        parser.add_argument("--scopes", default="ingest", help="comma-separated: ingest,read (default: ingest)")
        parser.add_argument("--name", default="", help="a label shown in admin")
        parser.add_argument("--expires-in-days", type=int, default=None)

    def handle(self, *args, tenant, app, scopes, name, expires_in_days, **options):
        expires_at = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
        try:
            _, raw = create_api_key_for_slugs(tenant_slug=tenant, app_slug=app, scopes=scopes, name=name,
                                              expires_at=expires_at)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(raw)
