"""The host's own routes; /plots is not here: wsgi.py mounts wsgi_plot beside Django."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.home),
    path("status.json", views.status),
]
