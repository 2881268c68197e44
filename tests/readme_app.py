"""The README's "Add your own plot" examples, run from the README itself: ``tests.readme_app:app``.

The first Python block after the heading is the typed plots (``app``, ``sine``, ``heat``); the
second, the same ``sine`` in the explicit form (``explicit_app``, ``explicit_sine``).
"""

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def example_sources() -> list[str]:
    """The Python blocks of the section "Add your own plot", in order."""
    text = README.read_text()
    section = text[text.index("## Add your own plot"):]
    section = section[:section.index("\n## ", 1)] if "\n## " in section[1:] else section
    return re.findall(r"```python\n(.*?)```", section, re.S)


def run(source: str, number: int) -> dict:
    namespace = {"__name__": f"readme_example_{number}"}
    exec(compile(source, f"{README}:Add your own plot, block {number}", "exec"), namespace)  # noqa: S102 - our README
    return namespace


_typed, _explicit = (run(source, number) for number, source in enumerate(example_sources()[:2], 1))
app = _typed["app"]
sine = _typed["registry"].get("sine")
heat = _typed["registry"].get("heat")
explicit_app = _explicit["app"]
explicit_sine = _explicit["sine"]
