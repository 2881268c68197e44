"""No stale picture after a deploy: nginx (deploy/nginx.conf) keeps images by the app's key, and the key
changes with whatever changes the bytes, so restarting the instances alone (not nginx, whose cache
outlives them) is enough for the next request to get the new picture.

The app is a small module this test writes to tmp_path: a plot that fills its figure with one
colour, kept forever. Changing that colour in the drawing code, or WSGI_PLOT_PNG_COMPRESSION, and
restarting the instance gives a new picture through the same nginx.
"""

import time
import urllib.request

import pytest

from wsgi_plot.web.nginx_cache import KEY_ANSWER_SECONDS

from . import servers
from .conftest import decode_png
from .deploy_servers import Instance
from .servers import config_for

pytestmark = pytest.mark.server


def key_answer_expires() -> None:
    """Wait out nginx's copy of a URL's key answer (KEY_ANSWER_SECONDS): the documented bound on how
    long after the new instance answers a changed picture may still be the old one. A restart that
    takes less than that (a quick machine) would otherwise still find the old key."""
    time.sleep(KEY_ANSWER_SECONDS + 0.1)

APP = '''
from wsgi_plot import Plot, PlotRegistry, create_app
from wsgi_plot.declare.plot import FOREVER


def draw(fig, params, rng):
    fig.patch.set_facecolor("{colour}")


app = create_app(registry=PlotRegistry([Plot("swatch", draw=draw, random=False, freshness=FOREVER)]),
                 response_cache_bytes=0)
'''
URL = "/plot/swatch.png?dpi=20&size=1x1"


def get(base_url):
    with urllib.request.urlopen(base_url + URL, timeout=60) as answer:
        return answer.headers.get("X-Cache"), answer.read()


def colour_of(png: bytes):
    return decode_png(png).convert("RGB").getpixel((10, 10))


def test_a_restart_with_new_drawing_code_or_png_compression_serves_the_new_picture(
        nginx_executable, nginx_prefix, tmp_path):
    module = tmp_path / "swatch_app.py"
    module.write_text(APP.format(colour="#ff0000"))
    listen, port, probe = servers.free_port(), servers.free_port(), servers.free_port()
    instance = Instance("swatch", port, probe, tmp_path, app="swatch_app:app", workers=1, cwd=tmp_path,
                        env={"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(servers.ROOT)})
    try:
        instance.start()
        instance.wait_ready()
        with servers.nginx(nginx_executable, config_for(listen, [port], probe_ports=[probe]), nginx_prefix,
                           listen) as proxy:
            first, red = get(proxy.base_url)
            again, red_again = get(proxy.base_url)
            assert (first, again) == ("MISS", "HIT") and red_again == red
            assert colour_of(red) == (255, 0, 0)

            # A deploy of new drawing code: the module changed, the instance restarted, nginx not.
            module.write_text(APP.format(colour="#0000ff"))
            assert instance.stop() == 0
            instance.start()
            instance.wait_ready()
            key_answer_expires()
            status, blue = get(proxy.base_url)
            assert status == "MISS" and colour_of(blue) == (0, 0, 255)
            assert get(proxy.base_url) == ("HIT", blue)

            # A deploy of a setting that changes the bytes (not the pixels).
            assert instance.stop() == 0
            instance.start(env={"WSGI_PLOT_PNG_COMPRESSION": "small"})
            instance.wait_ready()
            key_answer_expires()
            status, smaller = get(proxy.base_url)
            assert status == "MISS" and smaller != blue and colour_of(smaller) == (0, 0, 255)
    finally:
        instance.kill()
