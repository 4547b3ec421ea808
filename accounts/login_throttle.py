"""What a person sees when django-axes has locked out their login (too many failures)."""

import math

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.html import escape


def locked_out(request, credentials=None, *args, **kwargs):
    retry_after = str(max(1, math.ceil(settings.AXES_COOLOFF_TIME * 3600)))
    message = ("Too many failed sign-in attempts for this user from this address; "
               f"try again in {int(retry_after) // 60 or 1} minute(s).")
    if "application/json" in request.headers.get("Accept", ""):
        response = JsonResponse({"error": {"status": 429, "code": "login_locked_out", "message": message,
                                           "field": "username"}}, status=429)
    else:
        response = HttpResponse(f"<!doctype html><title>Sign-in locked</title><h1>Sign-in locked</h1>"
                                f"<p>{escape(message)}</p>", status=429)
    response["Retry-After"] = retry_after
    return response
