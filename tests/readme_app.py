"""The README's "Add your own plot" example, run from the README itself: ``tests.readme_app:app``."""

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def example_source() -> str:
    """The first Python block after the heading "Add your own plot"."""
    text = README.read_text()
    section = text[text.index("## Add your own plot"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


namespace = {"__name__": "readme_example"}
exec(compile(example_source(), f"{README}:Add your own plot", "exec"), namespace)  # noqa: S102 - our own README
app = namespace["app"]
sine = namespace["sine"]
