"""WSGI entry point: gunicorn wsgi:app."""

import gc

from marketplace import create_app

app = create_app()

# Everything loaded so far (modules, the URL map, compiled queries) lives as long as the worker:
# move it out of the collector's reach, so that the collections a request's garbage triggers
# scan only that garbage (https://docs.python.org/3/library/gc.html#gc.freeze).
gc.collect()
gc.freeze()
