"""Bytes from pixels and rows: PNG, APNG, GIF, CSV and the multipart stream framing.

Encoders know nothing of figures or requests: they take arrays and rows and return bytes.
"""
