"""wsgi_plot mounted at /plots inside a FastAPI (ASGI) application (pip install '.[examples]').

    uvicorn examples.fastapi_host:app

from the repository root, then open http://127.0.0.1:8000/ (FastAPI) and
http://127.0.0.1:8000/plots/normal/5_2 (wsgi_plot).

a2wsgi's WSGIMiddleware (Starlette's own is deprecated in its favour) runs wsgi_plot in a pool
of threads beside the event loop, so a render never blocks the loop. Renders within one process
still take turns (matplotlib draws under the GIL): for more than one core, run more processes
(``uvicorn --workers N``, or gunicorn with uvicorn's worker class) and, for /metrics to sum them,
set PROMETHEUS_MULTIPROC_DIR to an empty directory before they start, as wsgi_plot's gunicorn
settings do.

Live streams (``/plots/plot/NAME.stream``) run on those threads too: wsgi_plot is told how many
there are, so streams leave one free, and it watches a2wsgi's ASGI messages so that a stream whose
client left ends within a frame or two (wsgi_plot/web/host_compat.py). A client that stops reading
without leaving is not bounded here: a2wsgi's sends never time out.
"""

import hashlib
import json

from a2wsgi import WSGIMiddleware
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

import wsgi_plot
from wsgi_plot.serve.fitting import fit_to_server
from wsgi_plot.web.server_limits import ServerLimits

#: Where wsgi_plot lives inside the host.
PLOTS_PREFIX = "/plots"
#: Threads a2wsgi runs wsgi_plot's requests on (a2wsgi's own default): streams may take all but one.
WSGI_THREADS = 10

STATUS = {"ok": True}
STATUS_ETAG = '"' + hashlib.sha1(json.dumps(STATUS).encode()).hexdigest() + '"'
STATUS_CACHE_CONTROL = "public, max-age=60"

app = FastAPI(title="host")


@app.get("/", response_class=HTMLResponse)
def home(request: Request):
    # root_path keeps the link right if the host itself is mounted under a prefix.
    plots = request.scope.get("root_path", "") + PLOTS_PREFIX
    return (f"<!doctype html><title>host</title><h1>The FastAPI site</h1>"
            f'<p><a id="plot" href="{plots}/normal/5_2">a plot</a> &middot; <a href="{plots}/">all plots</a></p>')


@app.get("/status.json")
def status(request: Request):
    # A response the host wants cached and revalidated: it must keep these headers.
    headers = {"Cache-Control": STATUS_CACHE_CONTROL, "ETag": STATUS_ETAG}
    if STATUS_ETAG in (tag.strip() for tag in request.headers.get("if-none-match", "").split(",")):
        return Response(status_code=304, headers=headers)
    return JSONResponse(STATUS, headers=headers)


# Mounted beside FastAPI's routes: its middleware and headers never touch wsgi_plot's responses.
plots = wsgi_plot.create_app()
fit_to_server(plots, ServerLimits(threads=WSGI_THREADS))  # uvicorn kills no worker: no timeout to keep below
app.mount(PLOTS_PREFIX, WSGIMiddleware(plots, workers=WSGI_THREADS))  # type: ignore[arg-type]  # a2wsgi's own WSGI/ASGI types
