"""Animated GIF through Pillow, looping forever.

GIF holds at most 256 colours per frame, so each frame is reduced to its own
palette (Pillow's fast octree, no dithering: plots are flat colours with
antialiased edges, where dithering only adds noise and bytes). Pillow then
writes only the rectangle that changed from one frame to the next.
"""

import io

import numpy as np
from PIL import Image


class GifWriter:
    """Collects palette frames; ``finish()`` gives the file."""

    def __init__(self, frame_count: int, fps: int):
        self.frame_count = frame_count
        # GIF counts delays in hundredths of a second: 1/fps rounded to that.
        self.duration_ms = 1000 / fps
        self._frames = []

    def add(self, rgba: np.ndarray):
        """Append an ``(height, width, 4)`` uint8 frame; the figure is opaque, so alpha is dropped."""
        if len(self._frames) == self.frame_count:
            raise ValueError(f"already {self.frame_count} frames")
        image = Image.fromarray(np.ascontiguousarray(rgba[..., :3]), "RGB")
        self._frames.append(image.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE))

    def finish(self) -> bytes:
        if len(self._frames) != self.frame_count:
            raise ValueError(f"{len(self._frames)} frames added, {self.frame_count} announced")
        out = io.BytesIO()
        first, *rest = self._frames
        first.save(out, format="GIF", save_all=True, append_images=rest, duration=self.duration_ms, loop=0)
        return out.getvalue()
