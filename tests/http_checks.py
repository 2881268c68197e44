"""Checks shared by the tests that run a real server: the recipe's two URLs over HTTP, raw HTTP
exchanges, and reading headers."""

import socket
import urllib.request
from email.message import Message

from .conftest import decode_png

NO_CACHE = "no-store, no-cache, must-revalidate, max-age=0"


def fetch(url: str) -> tuple[int, Message, bytes]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.headers, response.read()


def check_recipe_png(base_url: str) -> None:
    status, headers, body = fetch(base_url + "/fig/5_2")
    assert status == 200 and headers["Content-Type"] == "image/png"
    assert headers["Cache-Control"] == NO_CACHE
    assert "ETag" not in headers and "Last-Modified" not in headers
    assert int(headers["Content-Length"]) == len(body)
    assert decode_png(body).size == (1200, 900)


def check_recipe_page(base_url: str) -> None:
    status, headers, body = fetch(base_url + "/normal/5_2")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b'src="/fig/5_2"' in body
    assert b"<title>random normal - 5, 2</title>" in body


NO_STORE = {"cache-control": "no-store, no-cache, must-revalidate, max-age=0", "pragma": "no-cache", "expires": "0",
            "x-content-type-options": "nosniff"}


def exchange(port: int, request: bytes, source: str = "127.0.0.1") -> tuple[int, dict[str, str], bytes]:
    """Send raw ``request`` from ``source``; (status, {lowercased header: value}, body) of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=30, source_address=(source, 0)) as sock:
        sock.sendall(request)
        data = b""
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except ConnectionResetError:
            if not data:  # a server may reset after answering a request whose body it refused, not before
                raise
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


def get(port: int, path: str, source: str = "127.0.0.1", accept: str | None = None) -> tuple[int, dict[str, str], bytes]:
    accept_line = f"Accept: {accept}\r\n" if accept else ""
    return exchange(port, f"GET {path} HTTP/1.0\r\n{accept_line}\r\n".encode(), source)


def csp_directives(header: str) -> dict:
    return {d.split()[0]: d.split()[1:] for d in (part.strip() for part in header.split(";")) if d}
