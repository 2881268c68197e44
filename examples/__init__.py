"""Host applications that mount wsgi_plot; run from the repository root. Not installed with wsgi_plot."""
