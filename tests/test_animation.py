"""Animated APNG and GIF, in process: decoded with Pillow, reproducible, bounded before drawing."""

import io
import math
import struct
import time

import numpy as np
import pytest
from PIL import Image, ImageSequence
from werkzeug.test import Client

from wsgi_plot import Param, Plot, PlotRegistry, Settings, create_app
from wsgi_plot.core.errors import ParameterError, PixelBudgetExceeded
from wsgi_plot.declare.formats import FORMATS
from wsgi_plot.encode.apng import ApngWriter
from wsgi_plot.encode.gif import GifWriter
from wsgi_plot.figures.animation import FRAMES_PER_RENDER_TIMEOUT, animation_deadline

SMALL = "size=2x1.5&dpi=50"  # 100x75 px: cheap frames
MEDIA_TYPES = {"apng": "image/apng", "gif": "image/gif"}


@pytest.fixture(scope="module")
def client():
    return Client(create_app())


def decoded_frames(data: bytes, fmt: str) -> list[np.ndarray]:
    """Every frame as a viewer shows it (Pillow composes APNG regions and GIF deltas), RGB."""
    image = Image.open(io.BytesIO(data))
    assert image.format == {"apng": "PNG", "gif": "GIF"}[fmt]
    return [np.asarray(frame.convert("RGB")) for frame in ImageSequence.Iterator(image)]


@pytest.mark.parametrize("fmt", ["apng", "gif"])
@pytest.mark.parametrize("plot", ["normal", "histogram", "random-walk"])
def test_animation_decodes_with_the_frames_asked_for_all_different(client, plot, fmt):
    response = client.get(f"/plot/{plot}.{fmt}?frames=6&fps=5&seed=3&{SMALL}")
    assert response.status_code == 200
    assert response.mimetype == MEDIA_TYPES[fmt]
    frames = decoded_frames(response.data, fmt)
    assert len(frames) == 6
    assert frames[0].shape == (75, 100, 3)
    for before, after in zip(frames, frames[1:]):
        assert not np.array_equal(before, after)


def test_apng_and_gif_timing_and_looping(client):
    apng = Image.open(io.BytesIO(client.get(f"/plot/normal.apng?frames=3&fps=4&{SMALL}").data))
    assert apng.info["loop"] == 0 and apng.info["duration"] == 250
    gif = Image.open(io.BytesIO(client.get(f"/plot/normal.gif?frames=3&fps=4&{SMALL}").data))
    assert gif.info["loop"] == 0 and gif.info["duration"] == 250


@pytest.mark.parametrize("fmt", ["apng", "gif"])
def test_same_seed_same_bytes(client, fmt):
    url = f"/plot/normal.{fmt}?frames=4&seed=42&{SMALL}"
    first, again = client.get(url).data, client.get(url).data
    assert first == again
    assert client.get(url.replace("seed=42", "seed=43")).data != first


def test_apng_frames_are_the_fast_path_pictures(client):
    """Each APNG frame, as composed by a decoder, is the PNG the same plot gives for that frame's data."""
    registry = PlotRegistry([Plot("steps", [Param("k", float, 1.0)], draw=_draw_steps, update_takes_frame=True)])
    animated = Client(create_app(registry=registry)).get(f"/plot/steps.apng?frames=5&{SMALL}")
    frames = decoded_frames(animated.data, "apng")
    assert len(frames) == 5
    for number, frame in enumerate(frames):
        still = Image.open(io.BytesIO(_steps_still(number, 5))).convert("RGB")
        assert np.array_equal(frame, np.asarray(still))


def _draw_steps(fig, p, rng, frame):
    ax = fig.add_subplot()
    n = 5 if frame is None else frame.number + 1
    ax.bar(range(n), range(1, n + 1))
    ax.set_xlim(-1, 5)
    ax.set_ylim(0, 6)


def _steps_still(number, count):
    from wsgi_plot.core.frame import Frame
    from wsgi_plot.declare.params import Values
    from wsgi_plot.figures.pipeline import render_unpooled

    plot = Plot("steps", [Param("k", float, 1.0)], draw=_draw_steps, update_takes_frame=True)
    return render_unpooled(plot, Values(k=1.0), np.random.default_rng(0), "png", 2, 1.5, 50, Frame(number, count))


def test_apng_writer_regions_compose_to_every_frame():
    """Frames after the first are cut to what changed; a decoder must still see each frame whole."""
    rng = np.random.default_rng(0)
    frames = [np.full((40, 60, 4), 255, np.uint8)]
    for _ in range(4):
        frame = frames[-1].copy()
        top, left = rng.integers(0, 30), rng.integers(0, 50)
        frame[top:top + 10, left:left + 10, :3] = rng.integers(0, 255, 3)
        frames.append(frame)
    frames.append(frames[-1].copy())  # unchanged: a one-pixel region
    writer = ApngWriter(len(frames), fps=10, dpi=72)
    for frame in frames:
        writer.add(frame)
    decoded = [np.asarray(f.convert("RGBA")) for f in ImageSequence.Iterator(Image.open(io.BytesIO(writer.finish())))]
    assert len(decoded) == len(frames)
    for got, want in zip(decoded, frames):
        assert np.array_equal(got, want)


def test_apng_regions_are_cut_against_the_frame_just_before():
    """The writer keeps the last frame by updating only the region that changed: a change undone stays a change."""
    first = np.full((6, 8, 4), 255, np.uint8)
    second = first.copy()
    second[2:4, 3:5] = (200, 0, 0, 255)
    third = second.copy()
    third[5, 7] = (0, 0, 200, 255)
    writer = ApngWriter(4, fps=10)
    for frame in (first, second, third, first):
        writer.add(frame)
    data = writer.finish()
    regions, at = [], 8
    while at < len(data):  # each fcTL's width, height, x, y
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        if kind == b"fcTL":
            regions.append(struct.unpack(">IIII", data[at + 12:at + 28]))
        at += 12 + length
    assert regions == [(8, 6, 0, 0), (2, 2, 3, 2), (1, 1, 7, 5), (5, 4, 3, 2)]


def test_writers_refuse_a_wrong_frame_count():
    for writer in (ApngWriter(2, 10), GifWriter(2, 10)):
        writer.add(np.zeros((4, 4, 4), np.uint8))
        with pytest.raises(ValueError, match="1 frames added, 2 announced"):
            writer.finish()
        writer.add(np.zeros((4, 4, 4), np.uint8))
        with pytest.raises(ValueError, match="already 2 frames"):
            writer.add(np.zeros((4, 4, 4), np.uint8))


def test_random_walk_grows_frame_by_frame(client):
    """Its update takes the frame: one walk, drawn a step further each frame."""
    frames = decoded_frames(client.get("/plot/random-walk.apng?frames=4&seed=1&size=4x3&dpi=50").data, "apng")
    green = [int(np.sum((f[..., 1] > 120) & (f[..., 0] < 100) & (f[..., 2] < 100))) for f in frames]
    assert green[0] < green[1] < green[2] < green[3]
    # The same walk: every pixel green in one frame stays green in the next.
    masks = [(f[..., 1] > 120) & (f[..., 0] < 100) & (f[..., 2] < 100) for f in frames]
    for before, after in zip(masks, masks[1:]):
        assert np.mean(after[before]) > 0.8  # line ends and antialiasing at the tip move


@pytest.mark.parametrize("query, param, status", [
    ("frames=1", "frames", 400), ("frames=601", "frames", 400), ("frames=ten", "frames", 400),
    ("fps=0", "fps", 400), ("fps=51", "fps", 400), ("seconds=5", "seconds", 400),
    ("frames=31", "frames", 413),  # 31 frames of the default 1200x900 px
])
def test_bounds_and_budget_name_the_parameter(client, query, param, status):
    response = client.get(f"/plot/normal.apng?{query}", headers={"Accept": "application/json"})
    assert response.status_code == status
    assert response.json["error"]["param"] == param


def test_animation_options_are_unknown_to_still_images(client):
    response = client.get("/plot/normal.png?frames=3", headers={"Accept": "application/json"})
    assert response.status_code == 400 and response.json["error"]["param"] == "frames"


def test_budget_at_its_bound():
    """Exactly max_animation_pixels passes; one frame more is 413, before anything is drawn."""
    settings, gif = Settings(max_animation_pixels=3 * 100 * 75), FORMATS["gif"]
    small = {"size": "1x0.75", "dpi": "100"}  # 100x75 px
    animation = gif.parse_options({"frames": "3", **small}, settings).animation
    assert animation is not None and animation.frames == 3
    with pytest.raises(PixelBudgetExceeded, match="at most 3 frames"):
        gif.parse_options({"frames": "4", **small}, settings)
    default = Settings()  # 1200x900 px
    animation = gif.parse_options({"frames": "30"}, default).animation
    assert animation is not None and animation.frames == 30
    with pytest.raises(PixelBudgetExceeded):
        gif.parse_options({"frames": "31"}, default)
    with pytest.raises(ParameterError):
        gif.parse_options({"fps": "51", "size": "1x1", "dpi": "10"}, default)

    app = create_app(max_animation_pixels=3 * 100 * 75)
    client = Client(app)
    refused = client.get(f"/plot/normal.gif?frames=4&{SMALL}")
    assert refused.status_code == 413 and refused.data.startswith(b"413 Request Entity Too Large: frames:")
    assert app.pool.size == 0  # refused before a figure was even prepared
    assert client.get(f"/plot/normal.gif?frames=3&{SMALL}").status_code == 200


def test_deadline_scales_with_frames():
    settings = Settings(render_timeout=2.0)
    assert animation_deadline(settings, 2, now=100.0) == 102.0
    assert animation_deadline(settings, FRAMES_PER_RENDER_TIMEOUT, now=100.0) == 102.0
    assert animation_deadline(settings, FRAMES_PER_RENDER_TIMEOUT + 1, now=100.0) == 104.0
    assert animation_deadline(settings, 600, now=0.0) == 2.0 * math.ceil(600 / FRAMES_PER_RENDER_TIMEOUT)


def test_an_animation_past_its_deadline_is_503_and_frees_its_figure():
    app = create_app(render_timeout=0.001)  # the bound: the figure is built past it
    client = Client(app)
    response = client.get(f"/plot/normal.apng?frames=3&{SMALL}")
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert app.pool.in_use == 0


def test_frames_that_do_not_change_stay_the_same():
    """bar draws the request's data on every frame: APNG frames equal, and Pillow merges the GIF's into one.

    The GIF's first frame is mapped to its palette like the others; left as the octree made it, it
    differed from the rest on a few dozen pixels, a flicker where nothing changed.
    """
    client = Client(create_app())
    query = "labels=a,b,c&values=3,1,2&frames=4&size=2x1.5&dpi=50"
    apng = decoded_frames(client.get(f"/plot/bar.apng?{query}").data, "apng")
    assert len(apng) == 4 and all(np.array_equal(apng[0], frame) for frame in apng)
    gif = decoded_frames(client.get(f"/plot/bar.gif?{query}").data, "gif")
    assert len(gif) == 1


def test_the_first_frames_predict_the_rest_and_an_animation_that_cannot_finish_stops_at_once():
    from wsgi_plot.figures.animation import FRAMES_MEASURED, AnimationOptions, CannotFinish, FrameSource, animate

    now = [0.0]
    drawn = []

    class Prepared:  # a figure whose every frame costs 1 s of the clock
        canvas = type("Canvas", (), {"buffer_rgba": lambda self: np.zeros((1, 1, 4), np.uint8)})()

        def load(self, values):
            pass

        def update(self, values, rng, frame):
            drawn.append(frame.number)

        def draw_agg(self):
            now[0] += 1.0

    class Writer:
        def add(self, pixels):
            pass

        def finish(self):
            return b"file"

    source = FrameSource(Plot("p", init=lambda fig, p: [], update=lambda a, p, r: None), 0)
    base = time.monotonic()  # draw_frame checks the deadline against the real clock: it never passes here

    def clock():
        return base + now[0]

    with pytest.raises(CannotFinish) as refused:
        animate(Prepared(), None, source, AnimationOptions(600, 10), Writer(),  # type: ignore[arg-type]  # a stand-in figure
                deadline=base + 24.0, clock=clock)
    assert len(drawn) == FRAMES_MEASURED  # refused once measured, not at the deadline
    assert refused.value.seconds_per_frame == 1.0 and int(refused.value.frames_that_fit) == 24
    drawn.clear()
    now[0] = 0.0
    assert animate(Prepared(), None, source, AnimationOptions(20, 10), Writer(),  # type: ignore[arg-type]
                   deadline=base + 24.0, clock=clock) == b"file"  # 20 frames of 1 s fit in 24 s
    assert len(drawn) == 20


def test_an_animation_the_worker_timeout_cannot_hold_is_413_naming_frames_at_once():
    """The deadline by render_timeout alone would be 600 / 30 x 10 s = 200 s; the server allows 30."""
    from wsgi_plot.serve.fitting import fit_to_server
    from wsgi_plot.web.server_limits import ServerLimits

    from .slow_app import build_app

    app = build_app()
    fit_to_server(app, ServerLimits(threads=1, worker_timeout=30.0))
    started = time.monotonic()
    response = Client(app).get(f"/plot/slow.gif?cost=0.2&frames=600&{SMALL}", headers={"Accept": "application/json"})
    elapsed = time.monotonic() - started
    assert response.status_code == 413
    error = response.get_json()["error"]
    assert error["param"] == "frames" and "within the 24 s this server allows" in error["message"]
    assert "at most 1" in error["message"]  # about 120 frames of 0.2 s fit in 24 s
    assert elapsed < 10  # refused after the first frames, not at the deadline (600 x 0.2 s = 120 s)
    assert app.pool.in_use == 0
