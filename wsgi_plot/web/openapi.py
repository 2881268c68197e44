"""The app's OpenAPI 3.1 description, generated from the plots' and the options' Param declarations.

Nothing here is written twice: a parameter's type, bounds, default and help come from its
``Param``, the options of each format from its declarations (options.py), whose bounds come from
``Settings``, so the document cannot drift from validation. Formats take different options (an
animation's ``fps`` is not a stream's), which one path with a ``{format}`` parameter cannot say:
each format has its own path (``/plot/NAME.png``, ``/plot/NAME.gif``, ...) with exactly its options.
"""

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..declare.formats import FORMATS, Format
from ..declare.options import page_option_params
from ..declare.params import Param
from ..declare.settings import Settings
from .request_args import JSON_MEDIA_TYPE

if TYPE_CHECKING:
    from ..declare.plot import Plot

#: A piece of the document: a JSON object.
JSONObject = dict[str, Any]

OPENAPI_VERSION = "3.1.0"

_ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "message", "param"],
            "properties": {
                "status": {"type": "integer"},
                "message": {"type": "string"},
                "param": {"type": ["string", "null"], "description": "the parameter at fault, 'path' or 'method'"},
            },
        }
    },
}

_REQUEST_ID = {"X-Request-Id": {"description": "the client's X-Request-Id if plain, else a new one; also in the log",
                                "schema": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"}}}
_RETRY_AFTER = {"Retry-After": {"description": "seconds", "required": True, "schema": {"type": "string", "pattern": "^[0-9]+$"}}}

_ERRORS = {
    400: "a parameter is malformed, out of range, unknown or repeated, or a POST body cannot be read whole; "
         "the body names it",
    404: "no such path or plot",
    413: "the image would exceed the pixel budget (max_pixels), an animation max_animation_pixels or the time "
         "the server allows (param frames), or the body is larger than max_body_bytes",
    415: "a POST body that is not application/json, or is compressed",
    503: "no figure free within the pool timeout, the render passed its deadline, or the request waited past "
         "queue_timeout (X-Request-Start) before reaching the server",
}


def openapi_document(plots: Iterable["Plot"], settings: Settings, *, alias_plot: str | None = None,
                     alias_params: Sequence[str] = (), metrics: bool = True, prefix: str = "") -> JSONObject:
    """The document for an app serving ``plots`` (as served: counts capped) under ``settings``.

    ``prefix``: where the app is mounted (SCRIPT_NAME), the one ``servers`` entry, so that a
    client joining it to the paths reaches the app inside a host (Django, FastAPI: /plots).

    ``alias_plot`` is the plot behind ``/fig/MEAN_VAR`` and ``/normal/MEAN_VAR``, whose two path
    values are its ``alias_params``; those routes are described only when it is served.
    """
    from .. import __version__

    page_options = [_query_parameter(p) for p in page_option_params(settings)]
    paths: dict[str, JSONObject] = {
        "/": {"get": _operation("index", "Index: every URL, option and plot parameter", [], _html())},
        "/plots/": {"get": _operation("plot_list", "Every registered plot with a thumbnail", [], _html())},
    }
    for plot in plots:
        query = [_query_parameter(p) for p in plot.params]
        summary = plot.description or plot.name
        paths[f"/plot/{plot.name}"] = {"get": _operation(
            f"page_{plot.name}", f"Page of {plot.name!r}: {summary}", query + page_options, _html(400, 413))}
        for fmt in _formats_of(plot):
            options = fmt.options(settings)
            paths[f"/plot/{plot.name}.{fmt.name}"] = {
                "get": _operation(f"image_{plot.name}_{fmt.name}", f"{plot.name!r} as {fmt.description}: {summary}",
                                  query + _option_parameters(options), _image([fmt])),
                "post": _operation(f"image_{plot.name}_{fmt.name}_post",
                                   f"{plot.name!r} as {fmt.description}, from a JSON body: the same values as the "
                                   "query, lists as arrays; the same bytes as the GET", [],
                                   _image([fmt], 415), _request_body(plot.params, options, settings)),
            }
        if plot.name == alias_plot:
            first, second = (plot.param(name) for name in alias_params)
            in_path = [_path_parameter(first), _path_parameter(second)]
            rest = [_query_parameter(p) for p in plot.params if p.name not in alias_params]
            template = f"{{{first.name}}}_{{{second.name}}}"
            paths[f"/fig/{template}"] = {"get": _operation(
                "fig", f"PNG of {plot.name!r}, the recipe's URL", in_path + rest
                + _option_parameters(FORMATS["png"].options(settings)), _image([FORMATS["png"]]))}
            for fmt in _formats_of(plot):
                paths[f"/fig/{template}.{fmt.name}"] = {"get": _operation(
                    f"fig_{fmt.name}", f"{plot.name!r} as {fmt.description}, the recipe's URL",
                    in_path + rest + _option_parameters(fmt.options(settings)), _image([fmt]))}
            paths[f"/normal/{template}"] = {"get": _operation(
                "normal_page", f"Page of {plot.name!r}, the recipe's URL", in_path + rest + page_options,
                _html(400, 404, 413))}
    paths["/healthz"] = {"get": _operation("healthz", "Liveness: answers without drawing", [], {
        "200": _response("alive", "application/json", {"type": "object", "required": ["status"],
                                                       "properties": {"status": {"const": "ok"}}})})}
    paths["/readyz"] = {"get": _operation("readyz", "Readiness: draws a tiny figure through the pool", [], {
        "200": _response("ready", "application/json", {
            "type": "object", "required": ["status", "render_ms", "versions"],
            "properties": {"status": {"const": "ok"}, "render_ms": {"type": "number", "minimum": 0},
                           "versions": {"type": "object", "additionalProperties": {"type": "string"},
                                        "required": ["wsgi_plot", "matplotlib", "numpy", "werkzeug"]}}}),
        "503": _response("not ready: no figure free in time, or the probe passed its deadline", "application/json", {
            "type": "object", "required": ["status", "reason"],
            "properties": {"status": {"const": "unavailable"}, "reason": {"type": "string"}}}, _RETRY_AFTER)})}
    if metrics:
        paths["/metrics"] = {"get": _operation("metrics", "Prometheus metrics, summed over worker processes", [], {
            "200": _response("the Prometheus text format", "text/plain", {"type": "string"})})}
    paths["/openapi.json"] = {"get": _operation("openapi", "This document", [], {
        "200": _response("OpenAPI 3.1", "application/json", {"type": "object"})})}
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": "wsgi_plot", "version": __version__,
                 "description": "matplotlib plots over HTTP. Errors are plain text, or JSON when Accept prefers it."},
        "servers": [{"url": prefix or "/", "description": "this app, where it is mounted"}],
        "paths": paths,
        "components": {"schemas": {"Error": _ERROR_SCHEMA}},
    }


def _operation(operation_id: str, summary: str, parameters: list[JSONObject], responses: JSONObject,
               body: JSONObject | None = None) -> JSONObject:
    operation: JSONObject = {"operationId": operation_id, "summary": summary, "responses": responses}
    if parameters:
        operation["parameters"] = parameters
    if body:
        operation["requestBody"] = body
    return operation


def _query_parameter(param: Param) -> JSONObject:
    """An optional parameter may be sent empty (``?n=``), meaning its default, as HTML forms send it."""
    description = param.help + (" (static: fixed per pooled figure)" if param.static else "")
    parameter: JSONObject = {"name": param.name, "in": "query", "required": param.required}
    if not param.required:
        parameter["allowEmptyValue"] = True
    return {**parameter, **param.kind.query_style(), "description": description.strip(),
            "schema": param.schema(query=True)}


def _path_parameter(param: Param) -> JSONObject:
    return {"name": param.name, "in": "path", "required": True, "description": param.help,
            "schema": param.kind.query_schema(param)}


def _formats_of(plot: "Plot") -> list[Format]:
    """The formats a plot is served in: CSV only for a plot with a data hook (any other answers 404)."""
    return [fmt for fmt in FORMATS.values() if fmt.delivery != "data" or plot.data is not None]


def _option_parameters(options: Sequence[Param]) -> list[JSONObject]:
    return [_query_parameter(option) for option in options]


def _request_body(params: Sequence[Param], options: Sequence[Param], settings: Settings) -> JSONObject:
    """The JSON object a POST sends: each parameter and option in its JSON form."""
    properties = {p.name: {**p.schema(), "description": p.help} if p.help else p.schema()
                  for p in (*params, *options)}
    schema: JSONObject = {"type": "object", "properties": properties, "additionalProperties": False}
    required = [p.name for p in params if p.required]
    if required:
        schema["required"] = required
    return {"required": True, "description": f"at most {settings.max_body_bytes} bytes (max_body_bytes)",
            "content": {JSON_MEDIA_TYPE: {"schema": schema}}}


def _response(description: str, media_type: str, schema: JSONObject, headers: JSONObject | None = None) -> JSONObject:
    return {"description": description, "headers": {**_REQUEST_ID, **(headers or {})},
            "content": {media_type: {"schema": schema}}}


def _error_responses(*codes: int) -> JSONObject:
    responses: JSONObject = {}
    for code in codes:
        responses[str(code)] = {
            "description": _ERRORS[code],
            "headers": {**_REQUEST_ID, **(_RETRY_AFTER if code == 503 else {})},
            "content": {"text/plain": {"schema": {"type": "string"}},
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    return responses


def _html(*errors: int) -> JSONObject:
    return {"200": _response("an HTML page", "text/html", {"type": "string"}), **_error_responses(*errors)}


def _image(formats: Sequence[Format], *more_errors: int) -> JSONObject:
    streams = any(fmt.delivery == "stream" for fmt in formats)
    # Drawn pictures say what their drawing cost; a stream's headers leave before any frame, CSV draws nothing.
    timed = all(fmt.delivery in ("still", "animation") for fmt in formats)
    ok: JSONObject = {"description": "the image; Server-Timing gives checkout, draw and encode milliseconds"
                         + ("; a stream's parts are PNGs, each with Content-Type and Content-Length"
                            if streams else ""),
          "headers": {**_REQUEST_ID, "Server-Timing": {"required": timed, "schema": {"type": "string"}}},
          "content": {fmt.media_type: {"schema": {"type": "string", "contentEncoding": "binary"}} for fmt in formats}}
    responses = {"200": ok, **_error_responses(400, 404, 413, *more_errors, 503)}
    if streams:
        # Retrying the same single-threaded server would not help, so that 503 has no Retry-After.
        unavailable = responses["503"]
        responses["503"] = {**unavailable, "description": unavailable["description"] + "; or a stream asked of a "
                            "server without a thread to spare or of an ASGI host that cannot tell when a client leaves (no "
                            "Retry-After), or max_streams streams running",
                            "headers": {**_REQUEST_ID,
                                        "Retry-After": {**_RETRY_AFTER["Retry-After"], "required": False}}}
    return responses
