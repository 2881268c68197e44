"""The gunicorn settings under their 0.1 name: ``-c python:wsgi_plot.gunicorn_config`` keeps working.

They live in :mod:`wsgi_plot.serve.gunicorn_config`; gunicorn reads a config module's public names, so
taking them all makes this module the same settings.
"""

from .serve.gunicorn_config import *  # noqa: F403
