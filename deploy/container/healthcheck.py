"""The image's HEALTHCHECK: GET /healthz on the probes' address (PROBE_BIND, PROBE_PORT), else the main one.

Exit 0 when it answers 200 within 4 s, else 1 (podman and Docker then count a failure).
"""

import os
import sys
import urllib.request


def local_address() -> str:
    bind = os.environ.get("PROBE_BIND") or (f"127.0.0.1:{os.environ['PROBE_PORT']}" if os.environ.get("PROBE_PORT")
                                            else os.environ.get("BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}")
    host, _, port = bind.rpartition(":")
    if host in ("", "0.0.0.0", "*"):
        host = "127.0.0.1"
    elif host in ("[::]", "::"):
        host = "[::1]"
    return f"{host}:{port}"


try:
    with urllib.request.urlopen(f"http://{local_address()}/healthz", timeout=4) as response:
        sys.exit(0 if response.status == 200 else 1)
except OSError as exc:
    print(f"healthcheck: {exc}", file=sys.stderr)
    sys.exit(1)
