"""HTML pages, built with ``string.Template``; every interpolated value is escaped.

Functions here take plain values (URLs already built by the caller) and
return the page as ``str``, so they are testable without WSGI.
"""

import base64
import dataclasses
import hashlib
from collections.abc import Iterable
from html import escape
from string import Template
from typing import TYPE_CHECKING
from urllib.parse import quote

from ..declare.formats import FORMATS
from ..declare.options import RenderOptions, page_option_params, picture_option_params
from ..declare.params import Control, Param, Values
from ..declare.settings import Settings
from .refresh import SCRIPT, SCRIPT_HASH

if TYPE_CHECKING:
    from ..declare.plot import Plot

#: A format link of a plot page: ``(format name, label, url)``.
FormatLink = tuple[str, str, str]
#: A plot in the list: ``(name, description, page_url, thumb_url, dark_thumb_url, alt)``.
PlotListEntry = tuple[str, str, str, str, str | None, str]
#: A parameter's row on the index: ``(name, bounds, "default 5" or "required", static, help)``.
ParamRow = tuple[str, str, str, bool, str]
#: A plot's section of the index: ``(name, page_url, its parameters' rows)``.
PlotRow = tuple[str, str, Iterable[ParamRow]]

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 60em; padding: 0 1em; color: #222; }
img.plot { max-width: 100%; height: auto; border: 1px solid #ddd; }
form { display: flex; flex-wrap: wrap; gap: .5em 1.5em; align-items: end; margin: 1em 0; }
label { display: flex; flex-direction: column; font-size: .9em; }
ul.plots { list-style: none; padding: 0; display: grid; gap: 1em; grid-template-columns: repeat(auto-fill, minmax(12.5em, 1fr)); }
ul.plots li { border: 1px solid #ddd; border-radius: .4em; padding: .5em; min-width: 0; }
ul.plots img { display: block; width: 100%; height: auto; aspect-ratio: 4 / 3; }
ul.plots a { font-weight: bold; }
ul.plots p { margin: .2em 0 0; font-size: .85em; line-height: 1.3; color: #555; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
code { background: #f4f4f4; padding: 0 .2em; }
td, th { text-align: left; padding: .2em .8em .2em 0; vertical-align: top; }
"""

#: The pages' icon, in the page itself: without one, a browser asks for /favicon.ico on every first
#: load, a 404 in its console (and, under a mount prefix, a request to the host app). A line chart.
ICON_SVG = ("<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'><path d='M1 15H15M1 15V1' stroke='#888'/>"
            "<polyline points='2,12 6,7 9,9 14,3' fill='none' stroke='#1f77b4' stroke-width='2'/></svg>")
ICON_URL = "data:image/svg+xml," + quote(ICON_SVG, safe="/:=',")

#: The pages run no script and load nothing from elsewhere; the one inline
#: style block is allowed by its hash, not by 'unsafe-inline'. ``data:`` images: the icon above
#: (an image cannot run script; the pages show no other data: URL).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src 'self' data:; "
    f"style-src 'sha256-{base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()}'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'self'"
)

#: A live page (``?refresh=``) runs exactly one script, allowed by its hash.
LIVE_CONTENT_SECURITY_POLICY = f"{CONTENT_SECURITY_POLICY}; script-src '{SCRIPT_HASH}'"


class Safe(str):
    """Markup built here from escaped parts; interpolated as is."""


def _fill(template: Template, **values: object) -> str:
    return template.substitute({k: v if isinstance(v, Safe) else escape(str(v)) for k, v in values.items()})


def _join(parts: Iterable[str]) -> Safe:
    return Safe("".join(parts))


_LAYOUT = Template("""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<link rel="icon" href="$icon" type="image/svg+xml">
<style>$style</style>
</head>
<body>
$body
</body>
</html>
""")


def layout(title: str, body: Safe) -> str:
    return _fill(_LAYOUT, title=title, style=Safe(STYLE), body=body, icon=ICON_URL)


_PLOT_PAGE = Template("""<h2>$heading</h2>
<p>$description</p>
$picture
<p>$links</p>
<form method="get" action="$form_action">
$fields
<button type="submit">draw</button>
</form>
$script""")

_PARAM_FIELD = Template("""<label>$label $control</label>
""")

_PICTURE = Template("""<p><picture>$dark_source<img class="plot" id="plot" src="$image_url" alt="$alt" width="$width" height="$height"$refresh_attr></picture></p>""")

#: A plot with required parameters left out: the form, these marked, and no image until they are given.
_MISSING = Template("""<p id="missing">Fill in $names to draw the plot.</p>""")
_MISSING_FIELD = Template("""<label class="missing">$label <strong>(required)</strong> $control</label>
""")

_INDEX_LINK = Template("""<a href="$url">all plots</a>""")
_NEW_SAMPLE = Template("""<a id="new-sample" href="$url">new sample</a>""")


#: The page options its form offers, with their labels; the controls come from their declarations
#: (options.page_option_params). theme and transparent stay URL options: a page follows the reader's
#: colour scheme itself (dark_source), and a transparent picture is for embedding, not for the page.
FORM_OPTIONS = {"dpi": "dpi", "size": "size (inches)", "seed": "seed (blank: random)",
                "refresh": "refresh (seconds, blank: off)"}


def plot_fields(plot: "Plot", values: Values, options: RenderOptions, settings: Settings,
                refresh: int | None = None, missing: Iterable[str] = ()) -> Safe:
    """Form controls from the plot's parameter declarations (each kind says which), then from the
    declarations of the page's options in ``FORM_OPTIONS``: the bounds a form states are those enforced.
    ``missing``: required parameters the request left out, marked. A plot that draws no random
    numbers has no seed field: every seed gives the same picture."""
    fields = []
    missing = set(missing)
    for param in plot.params:
        label = f"{param.name} ({param.help})" if param.help else param.name
        given = param.control(getattr(values, param.name))
        if param.name in missing:
            given = dataclasses.replace(given, attrs=given.attrs + (("aria-invalid", "true"),))
        fields.append(_fill(_MISSING_FIELD if param.name in missing else _PARAM_FIELD, label=label,
                            control=control_html(param.name, given)))
    chosen = {**options.values(), "refresh": refresh}
    for param in page_option_params(settings):
        if param.name == "seed" and not plot.random:
            continue
        if param.name in FORM_OPTIONS:
            control = control_html(param.name, param.control(chosen[param.name]))
            fields.append(_fill(_PARAM_FIELD, label=FORM_OPTIONS[param.name], control=control))
    return _join(fields)


def _attribute(name: str, value: str | bool) -> str:
    """`` name="value"``; True: the bare attribute (``required``); False: none."""
    if isinstance(value, bool):
        return f" {name}" if value else ""
    return f' {name}="{escape(value)}"'


def control_html(name: str, control: Control) -> Safe:
    """A ``Control`` (see ``wsgi_plot.declare.kinds``) as HTML; every value escaped."""
    attrs = "".join(_attribute(attr, value) for attr, value in control.attrs)
    if control.element == "select":
        options = "".join(
            f'<option value="{escape(value)}"{" selected" if value == control.selected else ""}>{escape(label)}</option>'
            for value, label in control.options)
        return Safe(f'<select name="{escape(name)}"{attrs}>{options}</select>')
    # A checkbox that is not ticked sends nothing; the hidden field before it sends "unchecked" instead.
    hidden = "" if control.unchecked is None else f'<input type="hidden" name="{escape(name)}" value="{escape(control.unchecked)}">'
    return Safe(f'{hidden}<input name="{escape(name)}"{attrs}>')


_DARK_SOURCE = Template("""<source media="(prefers-color-scheme: dark)" srcset="$url">""")


def dark_source(url: str | None) -> Safe:
    """The dark image for readers whose colour scheme is dark: chosen by the browser, no script."""
    return Safe("") if url is None else Safe(_fill(_DARK_SOURCE, url=url))


_FORMAT_LINK = Template("""<a id="$id" href="$url">$label</a>""")


def plot_page(*, title: str, heading: str, description: str, image_url: str | None, links: Iterable[FormatLink],
              new_sample_url: str | None,
              index_url: str, form_action: str, fields: Safe, display_width: int, display_height: int,
              refresh: int | None = None, alt: str = "", dark_image_url: str | None = None,
              missing: Iterable[str] = ()) -> str:
    """``links``: ``(format name, label, url)`` per format offered; the name is the link's id.
    ``image_url``: None while ``missing`` names required parameters left out (the page is then the
    form alone); ``new_sample_url``: None for a plot that draws no random numbers.
    ``refresh``: seconds between image reloads in place (a live page, see ``refresh.py``), or None.
    ``alt``: what the image shows, in words; ``dark_image_url``: the image for a dark colour scheme."""
    shown = [] if new_sample_url is None else [_fill(_NEW_SAMPLE, url=new_sample_url)]
    if image_url is not None:  # without the required values every format would be a 400
        shown += [_fill(_FORMAT_LINK, id=name, label=label, url=url) for name, label, url in links]
    shown.append(_fill(_INDEX_LINK, url=index_url))
    if image_url is None:
        picture = _fill(_MISSING, names=", ".join(missing))
    else:
        picture = _fill(_PICTURE, image_url=image_url, alt=alt or heading, dark_source=dark_source(dark_image_url),
                        width=display_width, height=display_height,
                        refresh_attr=Safe("" if refresh is None else f' data-refresh="{int(refresh)}"'))
    body = _fill(_PLOT_PAGE, heading=heading, description=description, picture=Safe(picture),
                 links=Safe("\n&middot; ".join(shown)),
                 form_action=form_action, fields=fields,
                 script=Safe("" if refresh is None or image_url is None else f"<script>{SCRIPT}</script>\n"))
    return layout(title, Safe(body))


#: A card of the list: every thumbnail the same size, the plot's name, and its description on one
#: line (cut with an ellipsis by the style; the whole text in its tooltip).
_LIST_ITEM = Template("""<li><a href="$page_url"><picture>$dark_source<img src="$thumb_url" alt="$alt" width="240" height="180"></picture>$name</a>
<p title="$description">$description</p></li>
""")


def plot_list_page(entries: Iterable[PlotListEntry]) -> str:
    """``entries``: ``(name, description, page_url, thumb_url, dark_thumb_url, alt)`` per plot."""
    items = [_fill(_LIST_ITEM, name=n, description=d, page_url=p, thumb_url=t, dark_source=dark_source(dt), alt=a)
             for n, d, p, t, dt, a in entries]
    body = Safe(f"<h2>Plots</h2>\n<ul class=\"plots\">\n{_join(items)}</ul>\n")
    return layout("wsgi_plot plots", body)


_INDEX = Template("""<h1>wsgi_plot</h1>
<p>matplotlib plots over HTTP. Try <a id="example" href="$example_url">$example_url</a>
or browse <a href="$plots_url">all plots</a>.</p>
<h2>URLs</h2>
<table>
<tr><th>URL</th><th>what</th></tr>
<tr><td><code>/fig/MEAN_VAR[.FORMAT]</code></td><td>the recipe's scatter of Normal(MEAN, VAR) samples; VAR is the standard deviation and must be &gt; 0</td></tr>
<tr><td><code>/normal/MEAN_VAR</code></td><td>an HTML page showing that image</td></tr>
<tr><td><code>/plots/</code></td><td>every registered plot with a thumbnail</td></tr>
<tr><td><code>/plot/NAME</code></td><td>a plot's page with a form of its parameters</td></tr>
<tr><td><code>/plot/NAME.FORMAT?param=value&amp;...</code></td><td>a plot in one of the formats below</td></tr>
<tr><td><code>/openapi.json</code></td><td>OpenAPI description of every route, parameter and bound</td></tr>
<tr><td><code>/healthz</code>, <code>/readyz</code></td><td>liveness and readiness probes (JSON)</td></tr>
<tr><td><code>/metrics</code></td><td>Prometheus metrics, unless turned off</td></tr>
</table>
<h2>Options (query string or JSON body, every plot)</h2>
<table>
<tr><th>option</th><th>accepted</th><th>default</th><th>taken by</th><th>what</th></tr>
$options</table>
<p>Images may have at most $max_pixels pixels (width &times; height).</p>
<h2>Formats</h2>
<table>
$formats</table>
<h2>Plots and their parameters</h2>
$plots
""")


def _option_rows(settings: Settings) -> Safe:
    """A row per option declaration, saying which formats (and pages) take it: an option declared
    differently for different formats (an animation's fps, a stream's) has a row for each."""
    takers: dict[Param, list[str]] = {}
    for fmt in FORMATS.values():
        for param in fmt.options(settings):
            takers.setdefault(param, []).append(f".{fmt.name}")
    for param in page_option_params(settings):
        takers.setdefault(param, []).append("pages")
    every = len(FORMATS) + 1
    rows = []
    for param, where in takers.items():
        default = "blank: none" if param.default is None else param.text(param.default)
        taken_by = "every format and page" if len(where) == every else ", ".join(where)
        rows.append(f"<tr><td><code>{escape(param.name)}</code></td><td>{escape(param.describe_bounds())}</td>"
                    f"<td>{escape(default)}</td><td>{escape(taken_by)}</td><td>{escape(param.help)}</td></tr>\n")
    return _join(rows)


def _format_rows(settings: Settings) -> Safe:
    rows = []
    picture = picture_option_params(settings)
    for fmt in FORMATS.values():
        options = ", ".join(f"<code>{escape(p.name)}</code>" for p in fmt.options(settings) if p not in picture)
        rows.append(f"<tr><td><code>.{escape(fmt.name)}</code></td><td>{escape(fmt.media_type)}</td>"
                    f"<td>{escape(fmt.description)}</td><td>{options}</td></tr>\n")
    return _join(rows)


def index_page(*, example_url: str, plots_url: str, settings: Settings, plot_rows: Iterable[PlotRow]) -> str:
    """``plot_rows``: ``(name, page_url, [(param, bounds, "default 5" or "required", static, help)])`` per plot."""
    rows = []
    for name, page_url, params in plot_rows:
        cells = "".join(
            f"<tr><td><code>{escape(p)}</code></td><td>{escape(bounds)}</td><td>{escape(default)}</td>"
            f"<td>{'static' if static else 'per request'}</td><td>{escape(help_)}</td></tr>\n"
            for p, bounds, default, static, help_ in params
        )
        rows.append(f'<h3><a href="{escape(page_url)}">{escape(name)}</a></h3>\n<table>\n{cells}</table>\n')
    body = _fill(_INDEX, example_url=example_url, plots_url=plots_url, options=_option_rows(settings),
                 max_pixels=settings.max_pixels, plots=_join(rows), formats=_format_rows(settings))
    return layout("wsgi_plot", Safe(body))
