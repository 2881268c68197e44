"""What every host that mounts wsgi_plot at /plots must show: run by test_mounting.py against the
werkzeug and Flask examples, and by test_hosts.py against Django and FastAPI under real servers.

Each check takes a ``client`` with werkzeug's test ``Client.get`` (or the same over HTTP)."""

from collections.abc import Callable, Mapping
from html.parser import HTMLParser
from typing import Any, Protocol

from werkzeug.datastructures import Headers, ResponseCacheControl

from .conftest import decode_png


class Answer(Protocol):
    """What the checks read of a response: werkzeug's TestResponse, or test_hosts' over HTTP."""

    @property
    def status_code(self) -> int: ...
    @property
    def mimetype(self) -> str | None: ...
    @property
    def text(self) -> str: ...
    @property
    def data(self) -> bytes: ...
    @property
    def json(self) -> Any: ...
    @property
    def cache_control(self) -> ResponseCacheControl: ...
    headers: Headers


class PageClient(Protocol):
    """werkzeug's test ``Client``, or test_hosts' client over HTTP."""

    def get(self, url: str, buffered: bool = ..., headers: Mapping[str, str] | None = ...) -> Answer: ...


class LinkParser(HTMLParser):
    """Every URL a page points at: ``(tag, attribute, url)``."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src", "action", "srcset"):
                self.links.append((tag, name, value or ""))  # "": an attribute without a value


def links(html: str) -> list[tuple[str, str, str]]:
    parser = LinkParser()
    parser.feed(html)
    return parser.links


def get(client: PageClient, url: str, **kwargs: Any) -> Answer:
    # buffered: the body is read and the app's iterable closed at once, as a server does.
    return client.get(url, buffered=True, **kwargs)


def check_page_image_and_links_resolve_under_the_prefix(client: PageClient) -> None:
    page = get(client, "/plots/normal/5_2")
    assert page.status_code == 200 and page.mimetype == "text/html"
    found = links(page.text)
    assert ("img", "src", "/plots/fig/5_2") in found
    assert ("source", "srcset", "/plots/fig/5_2?theme=dark") in found
    assert {url for _, _, url in found} >= {"/plots/fig/5_2.svg", "/plots/fig/5_2.pdf", "/plots/normal/5_2",
                                              "/plots/plots/", "/plots/plot/normal"}
    expected = {"/plots/fig/5_2": "image/png", "/plots/fig/5_2.svg": "image/svg+xml",
                "/plots/fig/5_2.pdf": "application/pdf", "/plots/fig/5_2.apng?frames=30": "image/apng",
                "/plots/fig/5_2.gif?frames=30": "image/gif", "/plots/fig/5_2.csv": "text/csv",
                "/plots/fig/5_2?theme=dark": "image/png"}
    for tag, attribute, url in found:
        if url.startswith("data:"):  # the pages' inline icon: nothing to resolve
            continue
        assert url.startswith("/plots/"), (tag, attribute, url)
        response = get(client, url)
        assert response.status_code == 200, url
        assert response.mimetype == expected.get(url, "text/html"), url
    assert decode_png(get(client, "/plots/fig/5_2").data).size == (1200, 900)


def check_plot_list_thumbnails_resolve_under_the_prefix(client: PageClient) -> None:
    page = get(client, "/plots/plots/")
    thumbnails = [url for tag, _, url in links(page.text) if tag == "img"]
    assert thumbnails and all(url.startswith("/plots/plot/") for url in thumbnails)
    for url in thumbnails:
        assert decode_png(get(client, url).data).size == (240, 180)


def check_host_routes_are_unaffected(client: PageClient) -> None:
    home = get(client, "/")
    assert home.status_code == 200 and "The " in home.text
    assert ("a", "href", "/plots/normal/5_2") in links(home.text)
    assert "no-store" not in home.headers.get("Cache-Control", "") and "Pragma" not in home.headers
    # wsgi_plot answers only under its prefix; the rest is the host's.
    assert get(client, "/fig/5_2").status_code == 404
    assert get(client, "/normal/5_2").status_code == 404


def check_host_keeps_its_own_caching_headers(client: PageClient) -> None:
    status = get(client, "/status.json")
    assert status.status_code == 200 and status.json == {"ok": True}
    assert status.cache_control.public and status.cache_control.max_age == 60
    assert not status.cache_control.no_store and not status.cache_control.no_cache
    assert status.headers["ETag"] and "Pragma" not in status.headers and "Expires" not in status.headers
    revalidated = get(client, "/status.json", headers={"If-None-Match": status.headers["ETag"]})
    assert revalidated.status_code == 304


def check_no_cache_headers_on_every_wsgi_plot_response(client: PageClient) -> None:
    for url in ("/plots/normal/5_2", "/plots/fig/5_2", "/plots/fig/5_2.svg", "/plots/", "/plots/nope",
                "/plots/fig/5_0"):
        response = get(client, url)
        assert response.cache_control.no_store, url
        assert "ETag" not in response.headers and response.headers["Pragma"] == "no-cache", url
    assert get(client, "/plots/nope").status_code == 404
    assert get(client, "/plots/fig/5_0").status_code == 400


CHECKS: list[Callable[[PageClient], None]] = [check_page_image_and_links_resolve_under_the_prefix, check_plot_list_thumbnails_resolve_under_the_prefix, check_host_routes_are_unaffected, check_host_keeps_its_own_caching_headers, check_no_cache_headers_on_every_wsgi_plot_response]
