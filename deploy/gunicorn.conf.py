"""gunicorn settings for one Chợ 4.0 instance behind nginx (bind and workers come from the env)."""

import multiprocessing
import os

# One instance per port on loopback; nginx balances across them (deploy/nginx/cho40.conf).
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8001")
# Sync workers: nginx buffers slow clients, so a worker is busy only while the app computes.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count()))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# A SIGTERM lets each worker finish its request and flush buffered scans (atexit) first.
graceful_timeout = 20
# Recycle workers now and then: a slow leak never grows without bound.
max_requests = 5000
max_requests_jitter = 500
backlog = 2048
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "warning")
# Workers load the app themselves (no preload): each opens its own database pool.
preload_app = False
