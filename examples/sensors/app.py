"""The served app: wsgi_plot's built-in plots plus ``readings`` of the database named by ``SENSORS_DB``."""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from wsgi_plot import PlotApp, create_app, default_registry
from wsgi_plot.declare.settings import Settings

from .db import NotASensorsDatabase, check
from .plot import readings_plot
from .query import ReadingsStore

ENV_VAR = "SENSORS_DB"

BUSY_TIMEOUT = 5.0  # seconds a query waits while the writer holds a lock; appends take milliseconds


class SensorsConfigError(RuntimeError):
    """The app cannot start: ``SENSORS_DB`` is missing or names no sensors database."""


def build_app(db_path: str | Path | None = None, *, environ: Mapping[str, str] | None = None,
              busy_timeout: float = BUSY_TIMEOUT, **settings: Any) -> PlotApp:
    """The WSGI app for the database at ``db_path`` (default: ``$SENSORS_DB``).

    ``settings`` are wsgi_plot settings; those not given come from ``WSGI_PLOT_*``
    as for ``create_app``. Each query is limited to the app's ``max_points`` rows
    and its ``render_timeout`` seconds.
    """
    environ = os.environ if environ is None else environ
    if db_path is None:
        db_path = environ.get(ENV_VAR, "")
        if not db_path:
            raise SensorsConfigError(f"{ENV_VAR} is not set: set it to the path of a sensors database "
                                     f"(python -m examples.sensors init --db sensors.db)")
        source = f"{ENV_VAR}={db_path!r}"
    else:
        source = repr(str(db_path))
    try:
        sensors = check(db_path)  # opened and closed here: each worker opens its own connection on first use
    except NotASensorsDatabase as exc:
        raise SensorsConfigError(f"{source} is not a sensors database: {exc}") from None
    if not sensors:
        raise SensorsConfigError(f"{source} has no readings: there is no sensor to plot")
    resolved = Settings.from_environ(settings, environ)
    store = ReadingsStore(db_path, busy_timeout=busy_timeout, query_timeout=resolved.render_timeout)
    registry = default_registry()
    registry.add(readings_plot(store, max_points=resolved.max_points))
    # Built before a fork (gunicorn --preload), the app must hand its workers no open connection.
    store.close()
    # /readyz is not ready while the file is gone (deleted or moved while serving): its queries are 503.
    app = create_app(registry=registry, ready_checks=[store.check_available], **settings)
    app.store = store  # type: ignore[attr-defined]  # an attribute of this example's own, for tests and host apps
    return app
