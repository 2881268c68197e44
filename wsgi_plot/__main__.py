"""``python -m wsgi_plot``: the ``wsgi-plot`` command."""

import sys

from .serve.cli import main

sys.exit(main())
