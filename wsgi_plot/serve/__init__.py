"""Running the app: the ``wsgi-plot`` command, gunicorn and uWSGI settings, fitting the app to
its server, and the allocator's thresholds."""
