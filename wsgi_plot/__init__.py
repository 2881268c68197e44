"""wsgi_plot: matplotlib plots served over HTTP by a plain WSGI application."""

from typing import TYPE_CHECKING

__version__ = "0.1.0"

__all__ = ["create_app", "warm", "NoCacheMiddleware", "Plot", "Param", "ParameterError", "PlotError", "PlotRegistry",
           "PlotApp", "Settings", "default_registry", "app",
           # the typed plot API's markers (wsgi_plot.typed) and the frame an animated plot may take
           "Range", "Count", "MaxLength", "Pattern", "MaxItems", "MaxSeries", "Choices", "Help", "Static", "Frame"]

#: Public names and the modules that define them, imported on first use (PEP 562). A server's
#: master process imports ``wsgi_plot.gunicorn_config``, and the ``wsgi-plot`` command this
#: package: neither may load prometheus_client before the config has set
#: PROMETHEUS_MULTIPROC_DIR, and neither needs matplotlib, which each worker imports itself.
_LAZY = {
    "create_app": "application",
    "warm": "application",
    "PlotApp": "application",
    "NoCacheMiddleware": "middleware",
    "Param": "params",
    "ParameterError": "errors",
    "PlotError": "errors",
    "Plot": "plot",
    "PlotRegistry": "plot",
    "Settings": "settings",
    **{marker: "typed" for marker in ("Range", "Count", "MaxLength", "Pattern", "MaxItems", "MaxSeries", "Choices",
                                      "Help", "Static")},
    "Frame": "animation",
}

if TYPE_CHECKING:
    from .application import PlotApp, create_app, warm
    from .errors import ParameterError, PlotError
    from .middleware import NoCacheMiddleware
    from .params import Param
    from .plot import Plot, PlotRegistry
    from .settings import Settings
    from .animation import Frame
    from .typed import Choices, Count, Help, MaxItems, MaxLength, MaxSeries, Pattern, Range, Static


def default_registry():
    """A new registry holding the built-in plots (normal, histogram, random-walk, line, bar)."""
    from .builtin import default_registry as _default_registry

    return _default_registry()


def __getattr__(name):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    # ``wsgi_plot:app`` for gunicorn and uWSGI, built on first access so that
    # importing the package builds no app: no WSGI_PLOT_* setting is read, no
    # figure pool or metric made. The libraries the app imports do read the
    # environment when first imported (matplotlib MPLCONFIGDIR, prometheus_client
    # PROMETHEUS_MULTIPROC_DIR), so servers set those before the app is built.
    if name == "app":
        global app
        app = __getattr__("create_app")()
        return app
    raise AttributeError(name)


def __dir__():
    return sorted(set(globals()) | set(__all__))
