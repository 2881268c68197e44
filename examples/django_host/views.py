"""The host's views: a home page linking to the plots, and a JSON status it wants cached."""

import hashlib
import json

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import etag, require_safe

STATUS = {"ok": True}
STATUS_ETAG = hashlib.sha1(json.dumps(STATUS).encode()).hexdigest()


@require_safe
def home(request):
    # SCRIPT_NAME keeps the link right if the site itself is mounted under a prefix.
    plots = request.META.get("SCRIPT_NAME", "") + settings.PLOTS_PREFIX
    return HttpResponse(f"<!doctype html><title>host</title><h1>The Django site</h1>"
                        f'<p><a id="plot" href="{plots}/normal/5_2">a plot</a> &middot; '
                        f'<a href="{plots}/">all plots</a></p>')


@require_safe
@cache_control(public=True, max_age=60)
@etag(lambda request: STATUS_ETAG)  # answers 304 to a matching If-None-Match
def status(request):
    # A response the host wants cached and revalidated: it must keep these headers.
    return JsonResponse(STATUS)
