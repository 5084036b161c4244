"""gunicorn settings for `make serve`; every value can be overridden from the environment."""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", max(2, multiprocessing.cpu_count() * 2)))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "sync" if threads == 1 else "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
max_requests = 5000
max_requests_jitter = 500
accesslog = "-" if os.environ.get("ACCESS_LOG") else None
errorlog = "-"
# Proxy headers are trusted by the app only when TRUSTED_PROXY_COUNT says a proxy is in front
# (werkzeug's ProxyFix); gunicorn itself trusts none, not even loopback.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "")
secure_scheme_headers: dict[str, str] = {}
# The app is created in each worker after fork: no database connections are shared.
preload_app = False
