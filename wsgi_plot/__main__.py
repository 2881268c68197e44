"""``python -m wsgi_plot``: the ``wsgi-plot`` command."""

import sys

from .cli import main

sys.exit(main())
