"""wsgi_plot: matplotlib plots served over HTTP by a plain WSGI application."""

from .errors import ParameterError
from .middleware import NoCacheMiddleware
from .params import Param
from .plot import Plot, PlotRegistry
from .application import PlotApp, create_app, warm
from .settings import Settings

__version__ = "0.1.0"

__all__ = ["create_app", "warm", "NoCacheMiddleware", "Plot", "Param", "ParameterError", "PlotRegistry", "PlotApp",
           "Settings", "default_registry", "app"]


def default_registry():
    """A new registry holding the built-in plots (normal, histogram, random-walk)."""
    from .builtin import default_registry as _default_registry

    return _default_registry()


def __getattr__(name):
    # ``wsgi_plot:app`` for gunicorn and uWSGI, built on first access so that
    # importing the package builds no app: no WSGI_PLOT_* setting is read, no
    # figure pool or metric made. The libraries it imports do read the
    # environment (matplotlib MPLCONFIGDIR, prometheus_client
    # PROMETHEUS_MULTIPROC_DIR), so servers set those before importing it.
    if name == "app":
        global app
        app = create_app()
        return app
    raise AttributeError(name)
