"""wsgi_plot mounted at /plots inside a Flask application (pip install '.[examples]').

    gunicorn -c gunicorn.conf.py examples.flask_host:app

then open http://127.0.0.1:8000/ (Flask) and http://127.0.0.1:8000/plots/normal/5_2
(wsgi_plot). wsgi_plot is mounted beside Flask, not inside it: Flask's routes,
hooks and headers never see its requests, and its no-cache headers never touch
Flask's responses.
"""

from flask import Flask, jsonify, request
from werkzeug.middleware.dispatcher import DispatcherMiddleware

import wsgi_plot

#: Where wsgi_plot lives inside the host.
PLOTS_PREFIX = "/plots"

app = Flask(__name__)


@app.get("/")
def home():
    # script_root keeps the link right if the host itself is mounted under a prefix.
    plots = request.script_root + PLOTS_PREFIX
    return (f"<!doctype html><title>host</title><h1>The Flask site</h1>"
            f'<p><a id="plot" href="{plots}/normal/5_2">a plot</a> &middot; <a href="{plots}/">all plots</a></p>')


@app.get("/status.json")
def status():
    # A response the host wants cached and revalidated: it must keep these headers.
    response = jsonify(ok=True)
    response.cache_control.public = True
    response.cache_control.max_age = 60
    response.add_etag()
    return response.make_conditional(request)


# Mount as WSGI middleware, keeping `app` a Flask object (`flask run`, app.test_client() still work).
app.wsgi_app = DispatcherMiddleware(  # type: ignore[method-assign]  # Flask's documented way to add WSGI middleware
    app.wsgi_app, {PLOTS_PREFIX: wsgi_plot.create_app()})
