"""Every value the service reads, declared once: plot parameters and their kinds, the plot API
(explicit and typed), options per format, the format registry, looks and settings.

From a declaration come the parser, the page control, the OpenAPI schema and the pool key.
"""
