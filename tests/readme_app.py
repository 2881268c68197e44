"""The documented plot examples, run from the documents themselves: ``tests.readme_app:app``.

The README's "Add your own plot" block is the typed plots (``app``, ``sine``, ``heat``);
docs/plots.md's "The explicit form" block is the same ``sine`` in the explicit form
(``explicit_app``, ``explicit_sine``).
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PLOTS_DOC = ROOT / "docs" / "plots.md"


def example_source(document: Path, heading: str) -> str:
    """The first Python block of the section under ``heading`` (a "## " heading) of ``document``."""
    text = document.read_text()
    section = text[text.index(f"## {heading}\n"):]
    section = section[:section.index("\n## ", 1)] if "\n## " in section[1:] else section
    return re.findall(r"```python\n(.*?)```", section, re.S)[0]


def run(document: Path, heading: str) -> dict:
    namespace = {"__name__": f"example_{document.stem}"}
    exec(compile(example_source(document, heading), f"{document}:{heading}", "exec"), namespace)  # noqa: S102 - ours
    return namespace


_typed = run(README, "Add your own plot")
_explicit = run(PLOTS_DOC, "The explicit form")
app = _typed["app"]
sine = _typed["registry"].get("sine")
heat = _typed["registry"].get("heat")
explicit_app = _explicit["app"]
explicit_sine = _explicit["sine"]
