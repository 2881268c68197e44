"""The bytes of a ``multipart/x-mixed-replace`` stream of PNG frames: each part, and the closing boundary.

Each part carries its own Content-Type and Content-Length, so a client can cut parts without
scanning for the boundary.
"""

#: No byte sequence of a PNG part can be mistaken for it: clients use the parts' Content-Length.
BOUNDARY = "wsgi-plot-frame"
CONTENT_TYPE = f"multipart/x-mixed-replace; boundary={BOUNDARY}"


def part(png: bytes) -> bytes:
    """One part: boundary, headers, the PNG, and the line end before the next boundary."""
    head = f"--{BOUNDARY}\r\nContent-Type: image/png\r\nContent-Length: {len(png)}\r\n\r\n".encode()
    return head + png + b"\r\n"


CLOSING = f"--{BOUNDARY}--\r\n".encode()
