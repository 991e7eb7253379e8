"""The one image pipeline every import path (upload, URL, server path, archive) goes through.

``validation`` is plain Python and Pillow with no Django imports: it decides whether bytes are an
acceptable image and produces upright, metadata-free encodings. ``storage`` reads the settings
and writes content-addressed files and their renditions under ``MEDIA_ROOT``.

This package deliberately re-exports nothing, so that importing ``validation`` never pulls in
Django through ``storage``.
"""
