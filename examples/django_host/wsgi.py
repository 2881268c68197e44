"""The WSGI entry point: Django's handler with wsgi_plot mounted beside it at /plots.

    gunicorn -c gunicorn.conf.py examples.django_host.wsgi:application

werkzeug's DispatcherMiddleware sends /plots and everything below it to wsgi_plot (with
SCRIPT_NAME=/plots, so every URL it writes carries the prefix) and the rest to Django.
Django's middleware, URL resolver and headers never see wsgi_plot's requests, and
wsgi_plot's no-cache headers never touch Django's responses. (A Django view wrapping
wsgi_plot would have to turn its streamed WSGI response into an HttpResponse and
would run Django's middleware on every image, for nothing.)
"""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from werkzeug.middleware.dispatcher import DispatcherMiddleware

import wsgi_plot

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "examples.django_host.settings")

application = DispatcherMiddleware(get_wsgi_application(), {settings.PLOTS_PREFIX: wsgi_plot.create_app()})
