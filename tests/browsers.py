"""Headless Debian Chromium for the browser tests (the fixtures are in conftest.py), and the page
scripts they share."""

CHROMIUM = "/usr/bin/chromium"  # Debian's package; Playwright never downloads a browser here
LAUNCH_ARGS = [
    "--no-sandbox",  # tests run as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-dev-shm-usage",  # small /dev/shm in containers
    # No traffic but to the test server: no updates, sync, field trials or first-run pings.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--no-first-run",
    "--no-default-browser-check",
]

IMAGE_DECODED = """() => {
    const img = document.getElementById("plot");
    return img !== null && img.complete && img.naturalWidth > 0;
}"""

# The pixels the browser decoded, as a PNG data URL of a canvas the image is drawn on.
IMAGE_PIXELS = """() => {
    const img = document.getElementById("plot");
    const canvas = document.createElement("canvas");
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    canvas.getContext("2d").drawImage(img, 0, 0);
    return canvas.toDataURL("image/png");
}"""
