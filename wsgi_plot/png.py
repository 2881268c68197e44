"""PNG encoding of an RGBA pixel buffer: the one place the encoder is chosen.

Encoding dominates a pooled render. For a 1200x900 figure (measured with
``bench/render.py`` and in the fast-path issue's notes):

* Pillow, as ``savefig`` uses it: 28-45 ms, ~90 KB;
* filter type 0 scanlines, deflated by libdeflate at level 6: ~6 ms, ~79 KB.

Plot images are large flat areas, where PNG's adaptive filters buy little.
The alpha channel is kept even when the figure is opaque: dropping it is a
strided copy that costs more (~3.4 ms) than compressing the extra, very
repetitive byte (~1.5 ms).
"""

import struct
import zlib

import numpy as np

try:  # libdeflate: ~2-4x faster than zlib at the same ratio; wheels for every OS.
    from deflate import zlib_compress as _zlib_compress
except ImportError:  # pragma: no cover - the stdlib fallback keeps PNGs working.
    _zlib_compress = zlib.compress

#: libdeflate level 6 beats Pillow's size at a fraction of its time; higher
#: levels cost ~25 % more time for ~2 % fewer bytes.
COMPRESS_LEVEL = 6

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOR_TYPE_RGBA = 6
_INCHES_PER_METRE = 1 / 0.0254


def chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(data, zlib.crc32(kind))
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def compress_pixels(rgba: np.ndarray) -> bytes:
    """An ``(height, width, 4)`` uint8 array as the zlib stream of PNG image data (IDAT, or APNG fdAT)."""
    height, width, _ = rgba.shape
    scanlines = np.empty((height, 1 + width * 4), dtype=np.uint8)
    scanlines[:, 0] = 0  # filter type 0 (None) on every row
    scanlines[:, 1:].reshape(height, width, 4)[...] = rgba
    return _zlib_compress(scanlines, COMPRESS_LEVEL)


def header_chunks(width: int, height: int, dpi: float | None) -> list[bytes]:
    """The signature, IHDR and (given a dpi) pHYs: what every PNG and APNG here starts with."""
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOR_TYPE_RGBA, 0, 0, 0)
    parts = [_SIGNATURE, chunk(b"IHDR", header)]
    if dpi:
        per_metre = round(dpi * _INCHES_PER_METRE)
        parts.append(chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)))
    return parts


def encode_png(rgba: np.ndarray, dpi: float | None = None) -> bytes:
    """Encode an ``(height, width, 4)`` uint8 array as a lossless 8-bit RGBA PNG."""
    height, width, _ = rgba.shape
    parts = header_chunks(width, height, dpi)
    parts.append(chunk(b"IDAT", compress_pixels(rgba)))
    parts.append(chunk(b"IEND", b""))
    return b"".join(parts)
