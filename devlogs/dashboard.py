"""Serve the built React dashboard's index page to signed-in people."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.views.decorators.csrf import ensure_csrf_cookie


@login_required
@ensure_csrf_cookie
def dashboard(request):
    try:
        html = settings.DASHBOARD_INDEX.read_text()
    except FileNotFoundError:
        return HttpResponse(
            "<h1>devlogs</h1><p>The dashboard is not built. Run <code>npm ci && npm run build</code> in "
            "<code>frontend/</code>; the API at <code>/api/v1/</code> works without it.</p>", status=503)
    return HttpResponse(html)
