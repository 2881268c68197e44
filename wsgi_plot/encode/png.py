"""PNG encoding of an RGBA pixel buffer: the one place the deflate is chosen.

Every PNG the service writes (stills, APNG frames, stream frames) is filter
type 0 scanlines deflated as the ``png_compression`` setting says:

* ``small``: libdeflate at level 6, ~7.3 ms and ~80 KB for a 1200x900 figure;
* ``fast``: ISA-L (Intel's storage acceleration library) at level 2, ~1.0 ms
  and ~115 KB for the same figure (``bench/encoders.py``; docs/performance.md).

Both are lossless: the same pixels decode from either. For comparison,
Pillow (as ``savefig`` uses it) takes 28-45 ms for ~90 KB. Plot images are
large flat areas, where PNG's adaptive filters buy little (Up or Sub before
either deflate only made the files larger). The alpha channel is kept even
when the figure is opaque: dropping it is a strided copy that costs more
(~3.4 ms) than compressing the extra, very repetitive byte.

Once the deflate is ISA-L, the copy into scanlines (a filter byte before each
row) is most of the rest, ~0.33 ms, at memory speed; feeding the rows to a
streaming compressor instead avoids it but costs 2.4 ms in per-call overhead.
The chunk CRCs are ~0.02 ms.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

#: A buffer and a level -> the zlib stream (libdeflate's is a bytearray, the others' bytes).
_libdeflate_compress: Callable[[ReadableBuffer, int], bytes | bytearray]
_isal_compress: Callable[[ReadableBuffer, int], bytes] | None

try:  # libdeflate: ~2-4x faster than zlib at the same ratio; wheels for every OS.
    from deflate import zlib_compress as _libdeflate_compress
except ImportError:  # pragma: no cover - the stdlib fallback keeps PNGs working.
    _libdeflate_compress = zlib.compress

try:  # ISA-L: a dependency (setup.cfg); still optional here so that "fast" is refused by name, not an ImportError.
    from isal.isal_zlib import compress as _isal_compress
except ImportError:  # pragma: no cover - only an install without dependencies lacks it
    _isal_compress = None

#: libdeflate level 6 beats Pillow's size at a fraction of its time; higher levels cost ~25 % more
#: time for ~2 % fewer bytes, and levels 1-5 are no faster on plots (7.4-11 ms), only larger.
SMALL_LEVEL = 6
#: ISA-L's levels are 0-3. On a 1200x900 plot: 0 is no faster and 22 % larger than 1 or 2 (which
#: cost the same time, 2 is the smaller by 0.4 %); 3 is 6x slower than 2 and larger still.
FAST_LEVEL = 2


#: The scanlines' buffer -> their zlib stream.
Compressor = Callable[[memoryview], bytes | bytearray]


def _at_level(compress: Callable[[ReadableBuffer, int], bytes | bytearray], level: int) -> Compressor:
    return lambda data: compress(data, level)


@dataclass(frozen=True)
class Compression:
    """A value of the ``png_compression`` setting: how PNG image data is deflated."""

    name: str
    compress: Compressor | None  # None when the library is not installed
    description: str
    missing: str = ""  # why it is unavailable, when compress is None


COMPRESSIONS = {c.name: c for c in (
    Compression("small", _at_level(_libdeflate_compress, SMALL_LEVEL),
                "libdeflate level 6: a 1200x900 plot in ~8 ms, ~80 KB"),
    Compression("fast", _at_level(_isal_compress, FAST_LEVEL) if _isal_compress else None,
                "ISA-L level 2: a 1200x900 plot in ~1.5 ms, ~115 KB",
                missing="needs the isal package (pip install isal), which is not installed"),
)}

#: Chosen by measurement (docs/performance.md, "Choosing png_compression"): a 1200x900 request in 0.45x the CPU
#: time for 1.35x the bytes, which a LAN carries in a small part of the time saved.
DEFAULT_COMPRESSION = "fast"

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOR_TYPE_RGBA = 6
_INCHES_PER_METRE = 1 / 0.0254


def check_compression(name: str) -> Compression:
    """The compression called ``name``; ValueError saying why when there is none or it cannot run here."""
    compression = COMPRESSIONS.get(name)
    if compression is None:
        raise ValueError(f"expected one of {', '.join(COMPRESSIONS)}, got {name!r}")
    if compression.compress is None:
        raise ValueError(f"{name!r} {compression.missing}; or use 'small'")
    return compression


def chunk(kind: bytes, data: bytes | bytearray) -> bytes:
    crc = zlib.crc32(data, zlib.crc32(kind))
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def compress_pixels(rgba: npt.NDArray[np.uint8], compression: str = DEFAULT_COMPRESSION) -> bytes | bytearray:
    """An ``(height, width, 4)`` uint8 array as the zlib stream of PNG image data (IDAT, or APNG fdAT)."""
    height, width, _ = rgba.shape
    scanlines = np.empty((height, 1 + width * 4), dtype=np.uint8)
    scanlines[:, 0] = 0  # filter type 0 (None) on every row
    scanlines[:, 1:].reshape(height, width, 4)[...] = rgba
    compress = check_compression(compression).compress
    assert compress is not None  # check_compression refuses a compression it cannot run
    return compress(scanlines.data)


def header_chunks(width: int, height: int, dpi: float | None) -> list[bytes]:
    """The signature, IHDR and (given a dpi) pHYs: what every PNG and APNG here starts with."""
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOR_TYPE_RGBA, 0, 0, 0)
    parts = [_SIGNATURE, chunk(b"IHDR", header)]
    if dpi:
        per_metre = round(dpi * _INCHES_PER_METRE)
        parts.append(chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)))
    return parts


def encode_png(rgba: npt.NDArray[np.uint8], dpi: float | None = None, compression: str = DEFAULT_COMPRESSION) -> bytes:
    """Encode an ``(height, width, 4)`` uint8 array as a lossless 8-bit RGBA PNG, deflated by ``compression``."""
    height, width, _ = rgba.shape
    parts = header_chunks(width, height, dpi)
    parts.append(chunk(b"IDAT", compress_pixels(rgba, compression)))
    parts.append(chunk(b"IEND", b""))
    return b"".join(parts)
