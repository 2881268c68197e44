"""gunicorn settings for wsgi_plot: ``gunicorn -c gunicorn.conf.py wsgi_plot:app``.

Every value can be overridden by an environment variable named in its comment.
"""

import multiprocessing
import os

# -- where to listen ----------------------------------------------------------
# Loopback by default: put nginx or another proxy in front to expose it.
bind = os.environ.get("BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"

# -- workers --------------------------------------------------------------------
# One sync worker per core. Agg drawing holds the GIL and matplotlib serialises
# Figure.draw within a process, so threads cannot draw in parallel; processes
# can. Each worker keeps its own pool of prepared figures.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))  # WEB_CONCURRENCY
worker_class = "sync"

# Recycle workers now and then as insurance against slow leaks in extensions;
# the jitter keeps them from restarting all at once.
max_requests = int(os.environ.get("MAX_REQUESTS", 10000))  # MAX_REQUESTS, 0 disables
max_requests_jitter = max_requests // 10

# A render is tens of milliseconds; a worker silent for this long is stuck.
timeout = int(os.environ.get("TIMEOUT", 30))  # TIMEOUT, seconds
graceful_timeout = 10

# -- logging ----------------------------------------------------------------------
accesslog = "-"  # stdout
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")  # LOG_LEVEL
