"""End to end: the README's server, real gunicorn with gunicorn.conf.py, over HTTP on loopback."""

import http.client
import socket
import time
import urllib.request

import gunicorn
import pytest

from . import servers
from .http_checks import check_recipe_page, check_recipe_png, fetch

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    with servers.gunicorn(workers=2, log_path=log) as proc:
        proc.log_path = log
        yield proc


def test_png_over_http(server):
    check_recipe_png(server.base_url)


def test_page_over_http(server):
    check_recipe_page(server.base_url)


def test_bad_input_over_http(server):
    with pytest.raises(urllib.error.HTTPError) as info:
        fetch(server.base_url + "/fig/5_-2")
    assert info.value.code == 400 and b"var" in info.value.read()


def read_log_until(server, text, timeout=10.0):
    """The log once it holds ``text``: gunicorn writes the access line after the response is sent."""
    deadline = time.monotonic() + timeout
    while text not in (log := server.log_path.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return log


def test_access_log_goes_to_stdout(server):
    fetch(server.base_url + "/fig/5_2?dpi=50")
    assert "GET /fig/5_2?dpi=50" in read_log_until(server, "GET /fig/5_2?dpi=50")


def test_successful_health_probes_stay_out_of_the_access_log(server):
    for probe in ("/healthz", "/readyz"):
        status, headers, body = fetch(server.base_url + probe)
        assert status == 200 and headers["Content-Type"] == "application/json"
    with pytest.raises(urllib.error.HTTPError):  # a failing probe is logged
        urllib.request.urlopen(urllib.request.Request(server.base_url + "/healthz", method="POST"), timeout=30)
    fetch(server.base_url + "/fig/5_2?dpi=51")
    log = read_log_until(server, "GET /fig/5_2?dpi=51")
    assert "GET /fig/5_2?dpi=51" in log
    assert "POST /healthz" in log
    assert "GET /healthz" not in log and "GET /readyz" not in log


def get_with_headers(base_url, path, headers):
    """``(status, content type, body)`` of a GET sending ``headers`` as written (urllib would recase them)."""
    connection = http.client.HTTPConnection(base_url.removeprefix("http://"), timeout=30)
    try:
        connection.putrequest("GET", path)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type"), response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("script_name", ["/elsewhere", "/normal"])
def test_a_client_cannot_set_script_name(server, script_name):
    """gunicorn takes SCRIPT_NAME from a header of a trusted proxy; none is configured to send one.

    A prefix the path lacks made gunicorn answer 500 in HTML; one it has moved the routes.
    """
    expected = fetch(server.base_url + "/normal/5_2")[2]
    status, content_type, body = get_with_headers(server.base_url, "/normal/5_2", {"SCRIPT_NAME": script_name})
    assert (status, content_type) == (200, "text/html; charset=utf-8")
    assert body == expected  # same links: the header changed nothing


def test_a_proxy_may_be_trusted_with_script_name_when_the_operator_says_so():
    """FORWARDER_HEADERS=SCRIPT_NAME: a proxy on a trusted address mounts the app under a prefix."""
    with servers.gunicorn(workers=1, env={"FORWARDER_HEADERS": "SCRIPT_NAME"}) as proxied:
        status, _, body = get_with_headers(proxied.base_url, "/plots/normal/5_2", {"SCRIPT_NAME": "/plots"})
    assert status == 200 and b'src="/plots/fig/5_2"' in body


def control_socket_answers(path) -> bool:
    with socket.socket(socket.AF_UNIX) as sock:
        try:
            sock.connect(str(path))
            return True
        except OSError:
            return False


@pytest.mark.skipif(tuple(int(part) for part in gunicorn.__version__.split(".")[:2]) < (25, 1),
                    reason="gunicorn before 25.1 has no control socket (the settings for it are then inert)")
def test_each_instance_has_its_own_control_socket_or_none(tmp_path):
    """Two instances as the README's scale-out starts them: gunicorn's one-per-user default is not used."""
    env = {"HOME": str(tmp_path), "XDG_RUNTIME_DIR": None}
    named = tmp_path / "named.ctl"
    with servers.gunicorn(workers=1, env={**env, "CONTROL_SOCKET": str(named)}):
        with servers.gunicorn(workers=1, env=env):  # as shipped: none
            assert not (tmp_path / ".gunicorn" / "gunicorn.ctl").exists()
            assert control_socket_answers(named)
        assert control_socket_answers(named)  # stopping the other instance left it alone
