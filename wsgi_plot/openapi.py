"""The app's OpenAPI 3.1 description, generated from the plots' Param declarations and Settings.

Nothing here is written twice: a parameter's type, bounds, default and help come from its
``Param``, the option bounds from ``Settings``, so the document cannot drift from validation.
"""

from .options import FORMATS, MAX_SEED
from .params import Param

OPENAPI_VERSION = "3.1.0"

#: The number syntax every numeric parameter accepts (no NaN, inf, hex or underscores).
_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"

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
    400: "a parameter is malformed, out of range, unknown or repeated; the body names it",
    404: "no such path or plot",
    413: "the image would exceed the pixel budget (max_pixels)",
    503: "no figure free within the pool timeout, the render passed its deadline, or the request waited past "
         "queue_timeout (X-Request-Start) before reaching the server",
}


def openapi_document(plots, settings, *, alias_plot=None, alias_params=(), metrics: bool = True) -> dict:
    """The document for an app serving ``plots`` (as served: counts capped) under ``settings``.

    ``alias_plot`` is the plot behind ``/fig/MEAN_VAR`` and ``/normal/MEAN_VAR``, whose two path
    values are its ``alias_params``; those routes are described only when it is served.
    """
    from . import __version__

    options = _option_parameters(settings)
    paths = {
        "/": {"get": _operation("index", "Index: every URL, option and plot parameter", [], _html())},
        "/plots/": {"get": _operation("plot_list", "Every registered plot with a thumbnail", [], _html())},
    }
    for plot in plots:
        query = [_query_parameter(p) for p in plot.params] + options
        summary = plot.description or plot.name
        paths[f"/plot/{plot.name}"] = {"get": _operation(
            f"page_{plot.name}", f"Page of {plot.name!r}: {summary}", query, _html(400, 413))}
        paths[f"/plot/{plot.name}.{{format}}"] = {"get": _operation(
            f"image_{plot.name}", f"{plot.name!r} as PNG, SVG or PDF: {summary}", [_format_parameter()] + query,
            _image(list(FORMATS)))}
        if plot.name == alias_plot:
            first, second = (plot.param(name) for name in alias_params)
            in_path = [_path_parameter(first), _path_parameter(second)]
            rest = [_query_parameter(p) for p in plot.params if p.name not in alias_params] + options
            template = f"{{{first.name}}}_{{{second.name}}}"
            paths[f"/fig/{template}"] = {"get": _operation(
                "fig", f"PNG of {plot.name!r}, the recipe's URL", in_path + rest, _image(["png"]))}
            paths[f"/fig/{template}.{{format}}"] = {"get": _operation(
                "fig_format", f"{plot.name!r} as PNG, SVG or PDF", in_path + [_format_parameter()] + rest,
                _image(list(FORMATS)))}
            paths[f"/normal/{template}"] = {"get": _operation(
                "normal_page", f"Page of {plot.name!r}, the recipe's URL", in_path + rest, _html(400, 404, 413))}
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
        "paths": paths,
        "components": {"schemas": {"Error": _ERROR_SCHEMA}},
    }


def _operation(operation_id: str, summary: str, parameters: list, responses: dict) -> dict:
    operation = {"operationId": operation_id, "summary": summary, "responses": responses}
    if parameters:
        operation["parameters"] = parameters
    return operation


def _number_schema(param: Param) -> dict:
    schema = {"type": "integer" if param.type is int else "number"}
    if param.minimum is not None:
        schema["exclusiveMinimum" if param.exclusive_minimum else "minimum"] = param.minimum
    if param.maximum is not None:
        schema["maximum"] = param.maximum
    return schema


def _query_parameter(param: Param) -> dict:
    """An optional parameter may be sent empty (``?n=``), meaning its default, as HTML forms send it."""
    schema = _number_schema(param)
    if param.default is not None:
        schema["default"] = param.default
    description = param.help + (" (static: fixed per pooled figure)" if param.static else "")
    if param.default is None:
        return {"name": param.name, "in": "query", "required": True, "description": description.strip(), "schema": schema}
    return {"name": param.name, "in": "query", "required": False, "allowEmptyValue": True,
            "description": description.strip(), "schema": schema}


def _path_parameter(param: Param) -> dict:
    return {"name": param.name, "in": "path", "required": True, "description": param.help,
            "schema": _number_schema(param)}


def _format_parameter() -> dict:
    return {"name": "format", "in": "path", "required": True, "schema": {"type": "string", "enum": list(FORMATS)}}


def _option_parameters(settings) -> list:
    # allowEmptyValue: an empty value (?dpi=) means the default, as HTML forms send it.
    return [
        {"name": "dpi", "in": "query", "required": False, "allowEmptyValue": True, "description": "dots per inch",
         "schema": {"type": "integer", "minimum": settings.min_dpi, "maximum": settings.max_dpi,
                    "default": settings.default_dpi}},
        {"name": "size", "in": "query", "required": False, "allowEmptyValue": True,
         "description": f"figure size in inches, WIDTHxHEIGHT, each side in [{settings.min_inches:g}, "
                        f"{settings.max_inches:g}]; width x height x dpi^2 at most {settings.max_pixels} pixels",
         "schema": {"type": "string", "pattern": f"^{_NUMBER}[xX]{_NUMBER}$", "default": settings.default_size}},
        {"name": "seed", "in": "query", "required": False, "allowEmptyValue": True,
         "description": "the same seed gives the same image; random when left out",
         "schema": {"type": "integer", "minimum": 0, "maximum": MAX_SEED}},
    ]


def _response(description: str, media_type: str, schema: dict, headers=None) -> dict:
    return {"description": description, "headers": {**_REQUEST_ID, **(headers or {})},
            "content": {media_type: {"schema": schema}}}


def _error_responses(*codes) -> dict:
    responses = {}
    for code in codes:
        responses[str(code)] = {
            "description": _ERRORS[code],
            "headers": {**_REQUEST_ID, **(_RETRY_AFTER if code == 503 else {})},
            "content": {"text/plain": {"schema": {"type": "string"}},
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    return responses


def _html(*errors) -> dict:
    return {"200": _response("an HTML page", "text/html", {"type": "string"}), **_error_responses(*errors)}


def _image(formats) -> dict:
    ok = {"description": "the image; Server-Timing gives checkout, draw and encode milliseconds",
          "headers": {**_REQUEST_ID, "Server-Timing": {"required": True, "schema": {"type": "string"}}},
          "content": {FORMATS[fmt]: {"schema": {"type": "string", "contentEncoding": "binary"}} for fmt in formats}}
    return {"200": ok, **_error_responses(400, 404, 413, 503)}
