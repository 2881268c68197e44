"""gunicorn settings for wsgi_plot: ``gunicorn -c gunicorn.conf.py wsgi_plot:app``.

The settings live in the package, ``wsgi_plot/serve/gunicorn_config.py``, so that an installed
wsgi_plot has them too (``gunicorn -c python:wsgi_plot.serve.gunicorn_config wsgi_plot:app``, or
``wsgi-plot serve``); this file takes them all, so both ways behave the same.
"""

from wsgi_plot.serve.gunicorn_config import *  # noqa: F401,F403
