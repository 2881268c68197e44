"""Live pages: ``?refresh=SECONDS`` reloads a page's image in place, with one small hashed script.

The page itself is never reloaded. Every tick the script loads the image again
into a detached ``<img>`` (with a fresh ``_`` cache buster, which the app
ignores: a browser may otherwise reuse an image already in the document for the
same URL), waits until it is decoded, then swaps it for the one shown, so the
picture never blanks. A load that fails (the server restarting) is dropped and
the next tick tries again. A slower load never replaces a newer picture.

Worst case: one image request per ``MIN_REFRESH`` seconds per open page, the
same as a user pressing reload; the server holds nothing between ticks.
"""

import base64
import hashlib

#: The only script any page runs. It reads its interval from the image's
#: ``data-refresh`` attribute, so its text (and hash) never changes.
SCRIPT = """
(() => {
  let shown = document.getElementById("plot");
  const seconds = Number(shown.dataset.refresh);
  let requested = 0, latest = 0;
  setInterval(() => {
    const tick = ++requested;
    const next = shown.cloneNode(false);
    const url = new URL(shown.getAttribute("src"), document.baseURI);
    url.searchParams.set("_", Date.now().toString(36) + tick);
    next.src = url.pathname + url.search;
    next.decode().then(() => {
      if (tick <= latest) return;
      latest = tick;
      shown.replaceWith(next);
      shown = next;
    }, () => {});
  }, seconds * 1000);
})();
"""

SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()

