"""gunicorn settings for a web instance (pages, exports, PDFs).

    gunicorn -c deploy/gunicorn.conf.py 'app:create_app()'

One worker process with threads per instance (gthread); run more instances (or machines) for more
throughput. Every instance shares the database and Redis, so any instance can serve any request.
"""

import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = 1
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "16"))
timeout = 120
graceful_timeout = 30
keepalive = 5
# Several instances on one host must not fight over one control socket.
control_socket_disable = True
accesslog = "-"
errorlog = "-"
# nginx in front: trust its X-Forwarded-* headers (see PROXY_FIX_X_FOR in the environment file).
forwarded_allow_ips = "127.0.0.1"
