"""Create the demo tenant, app, key and admin user, and print how to use them."""

from django.core.management.base import BaseCommand

from accounts.demo import ensure_demo


class Command(BaseCommand):
    help = "Create (or refresh) the demo tenant 'demo', app 'web', an API key and the admin user."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000")

    def handle(self, *args, url, **options):
        demo = ensure_demo()
        self.stdout.write(f"""
  devlogs is starting at {url}

  Dashboard:  {url}/            sign in as  {demo.username} / {demo.password}
  Admin:      {url}/admin/
  Tenant:     {demo.tenant}     App: {demo.app}
  API key:    {demo.api_key}   (scopes: ingest, read; shown once)

  Send a log:
    curl -X POST {url}/api/v1/logs -H "Authorization: Bearer {demo.api_key}" \\
         -H "Content-Type: application/json" -d '{{"message": "hello from curl", "level": "info"}}'
  Read logs:
    curl -H "Authorization: Bearer {demo.api_key}" '{url}/api/v1/logs?limit=10'
""")
