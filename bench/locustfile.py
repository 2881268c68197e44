"""A locust load that uses wsgi_plot the way a browser does: a page, then the image it shows.

    pip install '.[bench]'   # or: pip install locust
    locust -f bench/locustfile.py --host http://127.0.0.1:8000 --headless -u 20 -r 5 -t 1m

--host may include a mount prefix (http://127.0.0.1:8000/plots): the image URL is
read from the page and resolved against it, as a browser resolves <img src>.
Without --headless, locust serves its own web UI on http://127.0.0.1:8089 (add
--web-host 127.0.0.1 to keep it off other interfaces).
"""

import random
from html.parser import HTMLParser
from urllib.parse import urljoin

from locust import HttpUser, between, task

# Browsers ask for these; wsgi_plot answers the same whatever the Accept header says.
PAGE_HEADERS = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
IMAGE_HEADERS = {"Accept": "image/avif,image/webp,image/apng,image/*,*/*;q=0.8"}


class PlotImageFinder(HTMLParser):
    """The src of the page's ``<img id="plot">``, as written in the HTML."""

    def __init__(self):
        super().__init__()
        self.src = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "img" and attributes.get("id") == "plot":
            self.src = attributes.get("src")


def plot_image_url(page_url: str, html: str) -> str:
    """The absolute URL of the plot image a browser would load for this page."""
    finder = PlotImageFinder()
    finder.feed(html)
    if not finder.src:
        raise ValueError(f"no <img id=\"plot\"> in {page_url}")
    return urljoin(page_url, finder.src)


class PlotViewer(HttpUser):
    """Someone who opens a plot page, looks at it, and asks for a new sample now and then."""

    wait_time = between(1, 3)  # seconds of looking at the picture between loads

    def view(self, path, page_name):
        page = self.client.get(path, name=page_name, headers=PAGE_HEADERS)
        if page.status_code != 200:
            return  # locust has already counted the failure
        referer = {"Referer": page.url}
        # The image is fetched anew on every load: wsgi_plot forbids caching it.
        self.client.get(plot_image_url(page.url, page.text), name=page_name + " image",
                        headers={**IMAGE_HEADERS, **referer})

    @task(3)
    def the_recipe_page(self):
        """The page of the recipe's URL, reloaded: the same parameters, a new sample each time."""
        self.view("/normal/5_2", "/normal/5_2")

    @task(1)
    def other_parameters(self):
        """A page with other parameters, as from the form or a shared link."""
        mean, var = random.randint(-10, 10), random.choice([0.5, 1, 2, 5])
        self.view(f"/normal/{mean}_{var}", "/normal/[mean]_[var]")
