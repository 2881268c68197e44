"""A live sensor dashboard: readings in SQLite, plotted by wsgi_plot, pages that refresh themselves.

    python -m examples.sensors init --db sensors.db
    python -m examples.sensors append --db sensors.db &
    SENSORS_DB=sensors.db gunicorn -c gunicorn.conf.py examples.sensors:app

then open http://127.0.0.1:8000/plot/readings?refresh=5.
"""

from typing import TYPE_CHECKING, Any

__all__ = ["build_app", "app"]

if TYPE_CHECKING:
    from wsgi_plot import PlotApp

    app: PlotApp  # built by __getattr__ on first access


def build_app(*args: Any, **kwargs: Any) -> "PlotApp":
    from .app import build_app as _build_app

    return _build_app(*args, **kwargs)


def __getattr__(name: str) -> "PlotApp":
    # ``examples.sensors:app`` for gunicorn, built on first access (in each worker, after the
    # fork, unless the server preloads), so importing the package needs no database.
    if name == "app":
        global app
        app = build_app()
        return app
    raise AttributeError(name)
