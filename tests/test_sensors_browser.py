"""The live readings page in headless Chromium while the writer appends: the image reloads in place,
the page does not; no console errors, no CSP violations; the form's select and date inputs submit."""

import datetime as dt
import hashlib
import time

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.server]

# Recorded from the first script the page runs; Playwright adds it outside the page's CSP.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(e.violatedDirective));
"""

SHOWN = "() => { const img = document.getElementById('plot'); return [img.getAttribute('src'), img.complete, img.naturalWidth]; }"


def watch(page):
    """Lists that fill as the page runs: main-frame navigations, console errors, image responses."""
    navigations, errors, images = [], [], []
    page.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == page.main_frame else None)
    # The app has no /favicon.ico, which Chromium asks for on its own: that 404 is not the page's.
    page.on("console", lambda message: errors.append(message.text) if message.type == "error"
            and not message.location.get("url", "").endswith("/favicon.ico") else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda response: images.append(response) if response.request.resource_type == "image" else None)
    page.add_init_script(RECORD_VIOLATIONS)
    return navigations, errors, images


def test_live_page_reloads_its_image_in_place(page, live):
    server, _ = live
    navigations, errors, images = watch(page)
    url = server.base_url + "/plot/readings?refresh=1&dpi=50"
    page.goto(url)
    page.wait_for_timeout(6000)
    bodies = {hashlib.sha256(r.body()).hexdigest() for r in images if r.status == 200}
    assert len(bodies) >= 3, f"{len(bodies)} different images in {len(images)} loads"
    assert all(r.status == 200 and r.headers["content-type"] == "image/png" for r in images)
    assert navigations == [url]  # the page itself loaded once
    assert errors == []
    assert page.evaluate("() => window.__violations") == []
    src, complete, width = page.evaluate(SHOWN)
    assert "_=" in src and complete and width == 200  # a reloaded image is shown, decoded
    assert page.evaluate("() => document.querySelectorAll('img#plot').length") == 1  # replaced, not added


def test_a_failed_load_is_retried_at_the_next_tick(page, live):
    server, _ = live
    navigations, _, images = watch(page)
    refused: list[str] = []

    def refuse_twice(route):
        if len(refused) < 2 and "_=" in route.request.url:
            refused.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/plot/readings.png*", refuse_twice)
    page.goto(server.base_url + "/plot/readings?refresh=1&dpi=50")
    first = page.evaluate(SHOWN)[0]
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not (len(refused) == 2 and page.evaluate(SHOWN)[0] != first):
        page.wait_for_timeout(200)
    assert len(refused) == 2
    src, complete, width = page.evaluate(SHOWN)
    assert src != first and src not in [u[len(server.base_url):] for u in refused] and complete and width == 200
    assert len(navigations) == 1
    assert page.evaluate("() => window.__violations") == []


def test_sensor_select_and_date_inputs_submit(page, live):
    server, _ = live
    navigations, errors, images = watch(page)
    page.goto(server.base_url + "/plot/readings?dpi=50")
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0, tzinfo=None)
    start, end = (now - dt.timedelta(hours=30)).isoformat(), (now - dt.timedelta(hours=6)).isoformat()
    page.select_option("select[name=sensor]", "cellar")
    page.select_option("select[name=every]", "hour")
    page.fill("input[name=start]", start)
    page.fill("input[name=end]", end)
    page.check("input[name=grid][type=checkbox]")
    with page.expect_response(lambda r: r.request.resource_type == "image") as image:
        with page.expect_navigation():
            page.click("button[type=submit]")
    assert image.value.status == 200 and image.value.headers["content-type"] == "image/png"
    query = page.url.split("?", 1)[1]
    for part in ("sensor=cellar", "every=hour", f"start={start.replace(':', '%3A')}",
                 f"end={end.replace(':', '%3A')}", "grid=true"):
        assert part in query, query
    # The page shows what was asked for: the form keeps the values, the image is the chosen sensor's.
    assert page.input_value("select[name=sensor]") == "cellar"
    assert page.input_value("input[name=start]") == start
    assert page.title() == "cellar readings"
    src = page.evaluate(SHOWN)[0]
    assert "sensor=cellar" in src and "every=hour" in src
    assert errors == [] and page.evaluate("() => window.__violations") == []
