"""The documented plot examples, run from the documents themselves: ``tests.readme_app:app``.

The README's "Add your own plot" section has three blocks: a five-line function (``first_app``,
``wave``), the typed plots (``app``, ``sine``, ``heat``), then the same ``sine`` in the explicit form
(``explicit_app``, ``explicit_sine``).
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def example_source(document: Path, heading: str, number: int) -> str:
    """Python block ``number`` (from 0) of the section under ``heading`` (a "## " heading) of ``document``."""
    text = document.read_text()
    section = text[text.index(f"## {heading}\n"):]
    section = section[:section.index("\n## ", 1)] if "\n## " in section[1:] else section
    return re.findall(r"```python\n(.*?)```", section, re.S)[number]


def run(document: Path, heading: str, number: int) -> dict:
    namespace = {"__name__": f"example_{document.stem}_{number}"}
    source = example_source(document, heading, number)
    exec(compile(source, f"{document}:{heading}, block {number}", "exec"), namespace)  # noqa: S102 - ours
    return namespace


_first = run(README, "Add your own plot", 0)
_typed = run(README, "Add your own plot", 1)
_explicit = run(README, "Add your own plot", 2)
first_app = _first["app"]
wave = _first["registry"].get("wave")
app = _typed["app"]
sine = _typed["registry"].get("sine")
heat = _typed["registry"].get("heat")
explicit_app = _explicit["app"]
explicit_sine = _explicit["sine"]
