"""The WSGI application: routes, pages, OpenAPI, images and streams, health, metrics, the response
cache and the no-cache middleware."""
