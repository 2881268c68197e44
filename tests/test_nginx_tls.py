"""deploy/nginx-tls-server.conf, included in deploy/nginx.conf's http block as its header says: valid for
`nginx -t` with a self-signed certificate made here by openssl, and serving an image over HTTPS through
the front, with HSTS; plain HTTP redirects. Ports are rewritten to free loopback ones."""

import http.client
import re
import ssl
import subprocess

import pytest

from . import servers, tools
from .conftest import decode_png
from .servers import config_for

pytestmark = pytest.mark.server

TLS_CONFIG = servers.ROOT / "deploy" / "nginx-tls-server.conf"


def certificate(directory):
    """A self-signed certificate for plots.example.com and 127.0.0.1: (certificate, key)."""
    openssl = tools.executable("openssl")
    cert, key = directory / "fullchain.pem", directory / "privkey.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                    "/CN=plots.example.com", "-addext", "subjectAltName=DNS:plots.example.com,IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=60)
    return cert, key


def with_tls(front_config: str, front_port: int, http_port: int, https_port: int, cert, key, prefix) -> str:
    """deploy/nginx.conf (its ports already rewritten) including the TLS server block, whose ports and
    certificate paths are rewritten here, loopback only."""
    text = TLS_CONFIG.read_text()
    text, plain = re.subn(r"^ *listen 80;\n", f"    listen 127.0.0.1:{http_port};\n", text, flags=re.M)
    text, secure = re.subn(r"^ *listen 443 ssl http2;\n", f"    listen 127.0.0.1:{https_port} ssl http2;\n",
                           text, flags=re.M)
    text, ipv6 = re.subn(r"^ *listen \[::\].*\n", "", text, flags=re.M)
    text, fronts = re.subn(r"127\.0\.0\.1:8080\b", f"127.0.0.1:{front_port}", text)
    text = text.replace("/etc/ssl/wsgi_plot/fullchain.pem", str(cert)).replace("/etc/ssl/wsgi_plot/privkey.pem", str(key))
    assert (plain, secure, ipv6) == (1, 1, 2) and fronts >= 2, "deploy/nginx-tls-server.conf changed shape"
    included = prefix / "wsgi_plot-tls.conf"
    included.write_text(text)
    head, _, tail = front_config.rpartition("}")  # the end of the http block
    return f"{head}    include {included};\n}}{tail}"


def test_the_tls_server_block_is_valid_and_serves_over_https(nginx_executable, nginx_prefix):
    cert, key = certificate(nginx_prefix)
    listen, backend, probe, http_port, https_port = (servers.free_port() for _ in range(5))
    config = with_tls(config_for(listen, [backend], probe_ports=[probe]), listen, http_port, https_port, cert, key,
                      nginx_prefix)
    for folder in ("logs", "temp"):
        (nginx_prefix / folder).mkdir(exist_ok=True)
    (nginx_prefix / "nginx.conf").write_text(config)
    checked = subprocess.run([nginx_executable, "-t", "-p", f"{nginx_prefix}/", "-c", str(nginx_prefix / "nginx.conf"),
                              "-e", str(nginx_prefix / "logs" / "error.log")], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0 and "test is successful" in checked.stderr, checked.stderr

    with servers.gunicorn(port=backend, workers=1, probe_port=probe, log_path=nginx_prefix / "gunicorn.log"), \
            servers.nginx(nginx_executable, config, nginx_prefix, listen):
        context = ssl.create_default_context(cafile=str(cert))
        secure = http.client.HTTPSConnection("127.0.0.1", https_port, context=context, timeout=60)
        secure.request("GET", "/fig/5_2?dpi=20", headers={"Host": "plots.example.com"})
        answer = secure.getresponse()
        body = answer.read()
        assert answer.status == 200 and decode_png(body).size == (80, 60)
        assert answer.getheader("Strict-Transport-Security") == "max-age=31536000"
        assert answer.getheader("Cache-Control", "").startswith("no-store")  # the app's headers, through both
        secure.request("GET", "/metrics")  # this client is an operator (loopback), as at the front
        metrics = secure.getresponse()
        assert metrics.status == 200 and b"wsgi_plot_requests_total" in metrics.read()
        secure.close()

        plain = http.client.HTTPConnection("127.0.0.1", http_port, timeout=30)
        plain.request("GET", "/fig/5_2?dpi=20", headers={"Host": "plots.example.com"})
        redirect = plain.getresponse()
        assert redirect.status == 301
        assert redirect.getheader("Location") == "https://plots.example.com/fig/5_2?dpi=20"
        plain.close()
