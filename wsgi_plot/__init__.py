"""wsgi_plot: matplotlib plots served over HTTP by a plain WSGI application."""

from typing import TYPE_CHECKING

__version__ = "0.2.0"

__all__ = ["create_app", "warm", "serve_plot_apps", "NoCacheMiddleware", "Plot", "Param", "ParameterError", "PlotError", "PlotRegistry",
           "PlotApp", "Settings", "default_registry", "app",
           # the typed plot API's markers (wsgi_plot.declare.typed) and the frame an animated plot may take
           "Range", "Count", "MaxLength", "Pattern", "MaxItems", "MaxSeries", "Choices", "Help", "Static", "Frame"]

#: Public names and the modules that define them, imported on first use (PEP 562). A server's
#: master process imports ``wsgi_plot.serve.gunicorn_config``, and the ``wsgi-plot`` command this
#: package: neither may load prometheus_client before the config has set
#: PROMETHEUS_MULTIPROC_DIR, and neither needs matplotlib, which each worker imports itself.
_LAZY = {
    "create_app": "web.application",
    "warm": "web.application",
    "serve_plot_apps": "web.application",
    "PlotApp": "web.application",
    "NoCacheMiddleware": "web.middleware",
    "Param": "declare.params",
    "ParameterError": "core.errors",
    "PlotError": "core.errors",
    "Plot": "declare.plot",
    "PlotRegistry": "declare.registry",
    "Settings": "declare.settings",
    **{marker: "declare.typed" for marker in ("Range", "Count", "MaxLength", "Pattern", "MaxItems", "MaxSeries",
                                              "Choices", "Help", "Static")},
    "Frame": "core.frame",
}

if TYPE_CHECKING:
    from .core.errors import ParameterError, PlotError
    from .core.frame import Frame
    from .declare.params import Param
    from .declare.plot import Plot
    from .declare.registry import PlotRegistry
    from .declare.settings import Settings
    from .declare.typed import Choices, Count, Help, MaxItems, MaxLength, MaxSeries, Pattern, Range, Static
    from .web.application import PlotApp, create_app, serve_plot_apps, warm
    from .web.middleware import NoCacheMiddleware

    #: Built on first access (``_lazy_attribute``, below).
    app: PlotApp


def default_registry() -> "PlotRegistry":
    """A new registry holding the built-in plots (normal, histogram, random-walk, line, scatter, bar)."""
    from .builtin import default_registry as _default_registry

    return _default_registry()


def _lazy_attribute(name: str) -> object:
    """The module's ``__getattr__`` (PEP 562): a name of ``_LAZY``, imported on first use, or the app.

    Each name it gives is declared under TYPE_CHECKING above, with its type: that is what a type
    checker reads. It is not told of this hook, which would make any misspelt name valid there."""
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
        from .web.application import create_app as create

        global app
        app = create()
        return app
    raise AttributeError(name)


if not TYPE_CHECKING:
    __getattr__ = _lazy_attribute


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
