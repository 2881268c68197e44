"""Django settings of the example host: only what its two views need."""

import os

# An example's key: set DJANGO_SECRET_KEY for anything but trying it out.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-only-not-secret")
DEBUG = False
# Loopback only, like wsgi_plot's own defaults; add the names the site is reached by.
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

ROOT_URLCONF = "examples.django_host.urls"
INSTALLED_APPS: list[str] = []  # no models, admin or sessions: a site with views of its own is enough
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
DATABASES: dict[str, dict] = {}
USE_TZ = True

#: Where wsgi.py mounts wsgi_plot, beside Django (not a Django setting; the views link to it).
PLOTS_PREFIX = "/plots"
