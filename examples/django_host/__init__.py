"""A minimal Django project with wsgi_plot mounted at /plots (pip install '.[examples]').

    gunicorn -c gunicorn.conf.py examples.django_host.wsgi:application

from the repository root, then open http://127.0.0.1:8000/ (Django) and
http://127.0.0.1:8000/plots/normal/5_2 (wsgi_plot).
"""
